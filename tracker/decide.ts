/**
 * Command decisions: each checks a command against the current state
 * (authorization and validation) and returns the op bodies that carry it out
 * and the reply data, without changing anything. The caller stamps the
 * bodies, logs them durably, applies them and replies.
 *
 * Bodies are self-contained: a decision never needs the stamp its ops will
 * get (a new group's epoch is the stamp of its `create_group` op, which the
 * reducer reads from the op itself). A decision may return no body at all
 * when the command changes nothing (sharing again the same file at the same
 * address); the caller then just replies.
 */
import { AppError } from "../protocol/errors.ts";
import {
  SESSION_WRITE_COMMANDS,
  type SessionRequest,
  type SessionWriteCommand,
  type TrackerReplies,
} from "../protocol/tracker_messages.ts";
import { parseStamp, type Stamp } from "./hlc.ts";
import type { OpBody } from "./ops.ts";
import type { TrackerState } from "./state_types.ts";
import { hasOtherSession, sessionOwner, sharedBy, visibleGroups } from "./state_view.ts";
import {
  answerRequest,
  createGroup,
  joinGroup,
  leaveGroup,
  listGroups,
  listRequests,
} from "./decide_groups.ts";
import {
  downloadFile,
  type FileOffer,
  type LeaseClock,
  listFiles,
  shareFile,
  stopShare,
} from "./decide_files.ts";
import { keepAlive } from "./decide_peers.ts";
import { PEER_LEASE_MS } from "./config.ts";
import { hashToken } from "./token_hash.ts";

import type { Decision } from "./decide_common.ts";

/** Session commands that change state. */
export type WriteCommand = SessionWriteCommand;
/** Session commands that only read state. */
export type QueryCommand = Exclude<SessionRequest["cmd"], WriteCommand>;
/** A session command that changes state. */
export type WriteRequest = Extract<SessionRequest, { cmd: WriteCommand }>;
/** A session command that only reads state. */
export type QueryRequest = Extract<SessionRequest, { cmd: QueryCommand }>;
/** What {@link decideWrite} returns: op bodies (maybe none) and the reply data. */
export type WriteDecision = Decision<WriteCommand>;

const WRITE_COMMANDS: ReadonlySet<string> = new Set(SESSION_WRITE_COMMANDS);

/**
 * Tells a writing session command from a query.
 * @returns true when `req` changes state (goes to {@link decideWrite})
 */
export function isWriteRequest(req: SessionRequest): req is WriteRequest {
  return WRITE_COMMANDS.has(req.cmd);
}

/**
 * A user's stored credentials.
 * @returns the scrypt salt and hash, or undefined when there is no such user
 */
export function credentialsOf(
  state: TrackerState,
  user: string,
): { salt: string; hash: string } | undefined {
  const record = state.users.get(user);
  return record === undefined ? undefined : { salt: record.salt, hash: record.hash };
}

/**
 * Creates a user with an already hashed password.
 * @returns the op bodies
 * @throws {AppError} ALREADY_EXISTS when the name is taken
 */
export function decideCreateUser(
  state: TrackerState,
  user: string,
  salt: string,
  hash: string,
): OpBody[] {
  if (state.users.has(user)) {
    throw new AppError("ALREADY_EXISTS", `Cannot create user "${user}": the name is taken`);
  }
  return [{ type: "create_user", user, salt, hash }];
}

/**
 * Opens a session for a user whose password the caller verified. The op
 * carries only the token's hash.
 * @param session a fresh random token and when the session ends
 * @returns the op bodies
 * @throws {AppError} BAD_CREDENTIALS when there is no such user
 */
export function decideLogin(
  state: TrackerState,
  user: string,
  session: { token: string; expiresMs: number },
): OpBody[] {
  const record = state.users.get(user);
  if (record === undefined) {
    throw new AppError("BAD_CREDENTIALS", `Cannot log in as "${user}": wrong user or password`);
  }
  const tokenHash = hashToken(session.token);
  if (state.sessions.has(tokenHash) || state.closedSessions.has(tokenHash)) {
    throw new AppError("CONFLICT", `Cannot log in as "${user}": the session token is in use`);
  }
  return [{
    type: "open_session",
    tokenHash,
    user,
    userStamp: record.stamp,
    expiresMs: session.expiresMs,
  }];
}

/**
 * The user a session token belongs to.
 * @param token the token as the client sent it
 * @param nowMs the tracker's clock (0: only the state's horizon decides expiry)
 * @returns the user name
 * @throws {AppError} NOT_LOGGED_IN when the token is unknown, closed or expired
 */
export function sessionUser(state: TrackerState, token: string, nowMs = 0): string {
  const user = sessionOwner(state, hashToken(token), nowMs);
  if (user === undefined) {
    throw new AppError("NOT_LOGGED_IN", "Not logged in: the session is unknown or has ended");
  }
  return user;
}

// Closing a user's last session also stops their shares: nobody serves them now.
function logout(
  state: TrackerState,
  token: string,
  user: string,
  nowMs: number,
): Decision<"logout"> {
  const tokenHash = hashToken(token);
  const expiresMs = state.sessions.get(tokenHash)?.expiresMs ?? nowMs;
  const bodies: OpBody[] = [{ type: "close_session", tokenHash, expiresMs }];
  if (!hasOtherSession(state, user, { except: tokenHash, nowMs })) {
    for (const view of visibleGroups(state)) {
      for (const name of sharedBy(view.record, user)) {
        bodies.push({ type: "unshare_file", group: view.name, epoch: view.epoch, name, user });
      }
    }
  }
  return { bodies, data: {} };
}

/**
 * Decides a session command that changes state.
 * @param req the validated request
 * @param user the session's user, from {@link sessionUser}
 * @param stampOfNextOp the stamp the first op will carry: its time is "now"
 *   for session expiry (absent: the state's horizon)
 * @returns the op bodies to stamp, log and apply in order (maybe none), and the reply data
 * @throws {AppError} NOT_FOUND, FORBIDDEN, ALREADY_EXISTS, CONFLICT as the command's checks fail
 */
export function decideWrite(
  state: TrackerState,
  req: WriteRequest,
  user: string,
  stampOfNextOp?: Stamp,
  clock: LeaseClock = { nowMs: 0, ttlMs: PEER_LEASE_MS },
): WriteDecision {
  switch (req.cmd) {
    case "logout": {
      const nowMs = stampOfNextOp === undefined || stampOfNextOp === ""
        ? state.horizonMs
        : parseStamp(stampOfNextOp).ms;
      return logout(state, req.token, user, nowMs);
    }
    case "create_group":
      return createGroup(state, req.group, user);
    case "join_group":
      return joinGroup(state, req.group, user);
    case "leave_group":
      return leaveGroup(state, req.group, user);
    case "accept_request":
      return answerRequest(state, { group: req.group, user: req.user, accept: true }, user);
    case "reject_request":
      return answerRequest(state, { group: req.group, user: req.user, accept: false }, user);
    case "upload_file":
      return shareFile(state, req, user, clock);
    case "stop_share":
      return stopShare(state, req, user);
    case "keep_alive":
      return keepAlive(state, req, user, clock);
  }
}

/**
 * Answers a session command that only reads state.
 * @param req the validated request
 * @param user the session's user, from {@link sessionUser}
 * @returns the reply data
 * @throws {AppError} NOT_FOUND, FORBIDDEN, UNAVAILABLE as the command's checks fail
 */
export function answerQuery(
  state: TrackerState,
  req: QueryRequest,
  user: string,
  nowMs = 0,
): TrackerReplies[Exclude<QueryCommand, "download_file" | "whoami">] | FileOffer | {
  user: string;
} {
  switch (req.cmd) {
    case "whoami":
      return { user };
    case "list_groups":
      return listGroups(state, user);
    case "list_requests":
      return listRequests(state, req.group, user);
    case "list_files":
      return listFiles(state, req.group, user, nowMs);
    case "download_file":
      return downloadFile(state, req, user, nowMs);
  }
}
