/**
 * Group commands: create, join, leave, list, and the owner's answers to
 * requests. Each decision checks the command against the state and returns
 * the op bodies that carry it out, plus the reply data.
 */
import { AppError } from "../protocol/errors.ts";
import type { GroupInfo, TrackerReplies } from "../protocol/tracker_messages.ts";
import type { OpBody } from "./ops.ts";
import type { TrackerState } from "./state_types.ts";
import {
  currentEpoch,
  type GroupView,
  groupView,
  heirOf,
  memberStatus,
  sharedBy,
  visibleGroups,
} from "./state_view.ts";
import { type Decision, requireGroup, requireOwner } from "./decide_common.ts";

/**
 * Creates a group owned by `user`. A group left empty by concurrent leaves is ended first.
 * @throws {AppError} ALREADY_EXISTS when the name is taken
 */
export function createGroup(
  state: TrackerState,
  group: string,
  user: string,
): Decision<"create_group"> {
  const record = state.groups.get(group);
  const epoch = record === undefined ? undefined : currentEpoch(record);
  const bodies: OpBody[] = [];
  if (epoch !== undefined) {
    if (groupView(state, group) !== undefined) {
      throw new AppError("ALREADY_EXISTS", `Cannot create group "${group}": the name is taken`);
    }
    bodies.push({ type: "remove_group", group, epoch });
  }
  bodies.push({ type: "create_group", group, owner: user });
  return { bodies, data: { group } };
}

/**
 * Asks to join a group: a pending request the owner answers.
 * @throws {AppError} NOT_FOUND, ALREADY_EXISTS when a member or already asking
 */
export function joinGroup(
  state: TrackerState,
  group: string,
  user: string,
): Decision<"join_group"> {
  const action = `join group "${group}"`;
  const view = requireGroup(state, group, action);
  const status = memberStatus(view, user);
  if (status === "member") {
    throw new AppError("ALREADY_EXISTS", `Cannot ${action}: user "${user}" is already a member`);
  }
  if (status === "pending") {
    throw new AppError(
      "ALREADY_EXISTS",
      `Cannot ${action}: user "${user}" already has a pending request`,
    );
  }
  return {
    bodies: [{ type: "set_member", group, epoch: view.epoch, user, status: "pending" }],
    data: { group, status: "pending" },
  };
}

/**
 * Leaves a group (or withdraws a pending request), and stops sharing the
 * user's files there. An owner hands the group to the earliest other member;
 * the last member's leaving removes the group.
 * @throws {AppError} NOT_FOUND, FORBIDDEN when neither a member nor asking
 */
export function leaveGroup(
  state: TrackerState,
  group: string,
  user: string,
): Decision<"leave_group"> {
  const action = `leave group "${group}"`;
  const view = requireGroup(state, group, action);
  const status = memberStatus(view, user);
  if (status !== "member" && status !== "pending") {
    throw new AppError("FORBIDDEN", `Cannot ${action}: user "${user}" is not a member`);
  }
  const { epoch } = view;
  const bodies: OpBody[] = [{ type: "set_member", group, epoch, user, status: "left" }];
  for (const name of sharedBy(view.record, user)) {
    bodies.push({ type: "unshare_file", group, epoch, name, user });
  }
  if (status === "pending" || view.owner !== user) {
    return { bodies, data: { group, newOwner: null, removed: false } };
  }
  const heir = heirOf(view.record, user);
  if (heir === undefined) {
    bodies.push({ type: "remove_group", group, epoch });
    return { bodies, data: { group, newOwner: null, removed: true } };
  }
  bodies.push({ type: "set_owner", group, epoch, user: heir });
  return { bodies, data: { group, newOwner: heir, removed: false } };
}

/**
 * Accepts or rejects a pending request; only the owner may.
 * @throws {AppError} NOT_FOUND, FORBIDDEN, ALREADY_EXISTS when `target` is already a member
 */
export function answerRequest(
  state: TrackerState,
  req: { group: string; user: string; accept: boolean },
  user: string,
): Decision<"accept_request" | "reject_request"> {
  const { group, user: target, accept } = req;
  const action = accept
    ? `accept "${target}" into group "${group}"`
    : `reject "${target}" from group "${group}"`;
  const view = requireGroup(state, group, action);
  requireOwner(view, user, action);
  const status = memberStatus(view, target);
  if (status === "member") {
    throw new AppError("ALREADY_EXISTS", `Cannot ${action}: user "${target}" is already a member`);
  }
  if (status !== "pending") {
    throw new AppError("NOT_FOUND", `Cannot ${action}: user "${target}" has no pending request`);
  }
  const next = accept ? "member" : "rejected";
  return {
    bodies: [{ type: "set_member", group, epoch: view.epoch, user: target, status: next }],
    data: { group, user: target },
  };
}

/**
 * The pending requests of a group; only the owner may list them.
 * @throws {AppError} NOT_FOUND, FORBIDDEN
 */
export function listRequests(
  state: TrackerState,
  group: string,
  user: string,
): TrackerReplies["list_requests"] {
  const action = `list the requests of group "${group}"`;
  const view = requireGroup(state, group, action);
  requireOwner(view, user, action);
  return { group, requests: view.pending };
}

/**
 * Every group, with the asking user's role in each.
 * @returns the groups sorted by name
 */
export function listGroups(state: TrackerState, user: string): TrackerReplies["list_groups"] {
  return { groups: visibleGroups(state).map((view) => groupInfo(view, user)) };
}

function groupInfo(view: GroupView, user: string): GroupInfo {
  const status = memberStatus(view, user);
  const role = view.owner === user
    ? "owner"
    : status === "member"
    ? "member"
    : status === "pending"
    ? "pending"
    : "none";
  return { group: view.name, owner: view.owner, members: view.members.length, role };
}
