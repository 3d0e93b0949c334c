/**
 * Checks shared by the command decisions: the group must be there, the user
 * must be a member or its owner. Messages speak in one voice:
 * `Cannot <action>: <reason>`.
 */
import { AppError } from "../protocol/errors.ts";
import type { TrackerReplies } from "../protocol/tracker_messages.ts";
import type { OpBody } from "./ops.ts";
import type { TrackerState } from "./state_types.ts";
import { type GroupView, groupView, memberStatus } from "./state_view.ts";

/** Op bodies and the reply data of one command. */
export interface Decision<C extends keyof TrackerReplies> {
  bodies: OpBody[];
  data: TrackerReplies[C];
}

/**
 * The visible group named `name`.
 * @param action what the user tried, e.g. `join group "g1"`
 * @returns its view
 * @throws {AppError} NOT_FOUND when the group does not exist
 */
export function requireGroup(state: TrackerState, name: string, action: string): GroupView {
  const view = groupView(state, name);
  if (view === undefined) {
    throw new AppError("NOT_FOUND", `Cannot ${action}: group "${name}" does not exist`);
  }
  return view;
}

/**
 * Checks that `user` is a member of the group.
 * @throws {AppError} FORBIDDEN when not
 */
export function requireMember(view: GroupView, user: string, action: string): void {
  if (memberStatus(view, user) !== "member") {
    throw new AppError("FORBIDDEN", `Cannot ${action}: user "${user}" is not a member`);
  }
}

/**
 * Checks that `user` owns the group.
 * @throws {AppError} FORBIDDEN when not
 */
export function requireOwner(view: GroupView, user: string, action: string): void {
  if (view.owner !== user) {
    throw new AppError(
      "FORBIDDEN",
      `Cannot ${action}: user "${user}" is not the owner (the owner is "${view.owner}")`,
    );
  }
}
