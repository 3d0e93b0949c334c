/**
 * Runs one client command against the replica: validate, decide on the
 * current state, commit the resulting ops durably, then answer. Password
 * hashing (scrypt) is asynchronous and slow, so the decision is taken again
 * after it: another connection may have created the same user meanwhile.
 * Hashes wait in a bounded, fair queue (password_hasher.ts) and failed
 * logins slow the next tries down (login_throttle.ts).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { AppError } from "../protocol/errors.ts";
import type { SessionRequest, TrackerRequest } from "../protocol/tracker_messages.ts";
import {
  HASH_QUEUE_MAX,
  HASH_QUEUE_PER_CONNECTION_MAX,
  HASH_QUEUE_PER_SOURCE_MAX,
  LOGIN_DELAY_BASE_MS,
  LOGIN_DELAY_MAX_MS,
  LOGIN_FAILURES_FORGET_MS,
  LOGIN_FAILURES_MAX_ENTRIES,
  LOGIN_FREE_FAILURES,
  PEER_LEASE_MS,
  SALT_BYTES,
  SCRYPT_CONCURRENCY,
  TOKEN_BYTES,
} from "./config.ts";
import {
  answerQuery,
  credentialsOf,
  decideCreateUser,
  decideLogin,
  decideWrite,
  isWriteRequest,
  sessionUser,
} from "./decide.ts";
import { parseStamp } from "./hlc.ts";
import { LoginThrottle } from "./login_throttle.ts";
import { type Caller, PasswordHasher } from "./password_hasher.ts";
import type { Replica } from "./replica.ts";

export type { Caller } from "./password_hasher.ts";

// A salt for hashing when the user does not exist, so a wrong name costs as much as a wrong password.
const DUMMY_SALT = randomBytes(SALT_BYTES);

/** One tracker's password hashing queue, login throttle and session lifetime. */
export interface Logins {
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  /** How long a session lasts after its login. */
  sessionTtlMs: number;
}

/**
 * The login machinery of one tracker, with the limits of config.ts.
 * @returns a fresh hasher and throttle
 */
export function createLogins(options: { sessionTtlMs: number }): Logins {
  return {
    hasher: new PasswordHasher({
      slots: SCRYPT_CONCURRENCY,
      maxQueued: HASH_QUEUE_MAX,
      maxPerSource: HASH_QUEUE_PER_SOURCE_MAX,
      maxPerConnection: HASH_QUEUE_PER_CONNECTION_MAX,
    }),
    throttle: new LoginThrottle({
      freeFailures: LOGIN_FREE_FAILURES,
      baseDelayMs: LOGIN_DELAY_BASE_MS,
      maxDelayMs: LOGIN_DELAY_MAX_MS,
      forgetAfterMs: LOGIN_FAILURES_FORGET_MS,
      maxEntries: LOGIN_FAILURES_MAX_ENTRIES,
    }),
    sessionTtlMs: options.sessionTtlMs,
  };
}

/** What a command needs besides the replica and the request. */
export interface CommandContext {
  /** The tracker's login machinery. */
  logins: Logins;
  /** Who sent the request. */
  caller: Caller;
  /** The request's retry id, if it has one. */
  rid?: string | undefined;
  /** How long a peer lease runs. @default PEER_LEASE_MS */
  peerLeaseMs?: number;
}

/**
 * Creates a user with a salted scrypt hash of the password.
 * @returns `{ user }` once the user is durable
 * @throws {AppError} ALREADY_EXISTS when the name is taken; UNAVAILABLE when
 *   the caller has too many password hashes in progress
 */
export async function createUser(
  replica: Replica,
  req: { user: string; password: string },
  context: CommandContext & { retryKey?: string | undefined },
): Promise<{ user: string }> {
  const { user, password } = req;
  const { retryKey } = context;
  if (retryKey !== undefined) {
    const earlier = await replica.answered(retryKey);
    if (earlier !== undefined) return earlier as { user: string };
  }
  decideCreateUser(replica.state, user, "-", "-"); // fail fast on a taken name
  const salt = randomBytes(SALT_BYTES);
  const key = await context.logins.hasher.hash({ password, salt, caller: context.caller });
  return await replica.write(() => ({
    bodies: decideCreateUser(replica.state, user, salt.toString("hex"), key.toString("hex")),
    data: { user },
  }), retryKey);
}

function throttled(user: string, waitMs: number): AppError {
  const seconds = Math.ceil(waitMs / 1000);
  return new AppError(
    "UNAVAILABLE",
    `Cannot log in as "${user}" now: too many failed logins; try again in ${seconds} s`,
  );
}

/**
 * Checks a password and opens a session valid on every tracker of the
 * cluster until it expires. Failed logins slow later tries of the same user
 * and from the same address down.
 * @returns the user and a fresh token, once the session is durable
 * @throws {AppError} BAD_CREDENTIALS on an unknown user or a wrong password;
 *   UNAVAILABLE when the user or address must wait after failures, or the
 *   caller has too many password hashes in progress
 */
export async function login(
  replica: Replica,
  req: { user: string; password: string },
  context: CommandContext,
): Promise<{ user: string; token: string }> {
  const { user, password } = req;
  const { throttle, hasher, sessionTtlMs } = context.logins;
  const source = context.caller.source;
  const mayTry = () => {
    const waitMs = throttle.waitMs(user, source, Date.now());
    if (waitMs > 0) throw throttled(user, waitMs);
  };
  mayTry();
  const credentials = credentialsOf(replica.state, user);
  const salt = credentials === undefined ? DUMMY_SALT : Buffer.from(credentials.salt, "hex");
  // Asked again when its turn comes: failures may have piled up meanwhile.
  const got = await hasher.hash({ password, salt, caller: context.caller, check: mayTry });
  const expected = credentials === undefined ? undefined : Buffer.from(credentials.hash, "hex");
  if (expected === undefined || expected.length !== got.length || !timingSafeEqual(expected, got)) {
    throttle.fail(user, source, Date.now());
    throw new AppError(
      "BAD_CREDENTIALS",
      `Cannot log in as "${user}": wrong user name or password`,
    );
  }
  throttle.succeed(user, source);
  const token = randomBytes(TOKEN_BYTES).toString("hex");
  return await replica.write((stamp) => ({
    bodies: decideLogin(replica.state, user, {
      token,
      expiresMs: parseStamp(stamp).ms + sessionTtlMs,
    }),
    data: { user, token },
  }));
}

/**
 * Runs a command that needs a session token.
 * @returns the command's reply data
 * @throws {AppError} NOT_LOGGED_IN, FORBIDDEN, NOT_FOUND, ALREADY_EXISTS, CONFLICT
 */
export async function sessionCommand(
  replica: Replica,
  req: SessionRequest,
  rid?: string,
  peerLeaseMs = PEER_LEASE_MS,
): Promise<unknown> {
  const nowMs = Date.now();
  const user = sessionUser(replica.state, req.token, nowMs);
  if (!isWriteRequest(req)) return answerQuery(replica.state, req, user, nowMs);
  // Lease renewals are not retried: the next one comes in a few seconds.
  const retryKey = rid === undefined || req.cmd === "keep_alive"
    ? undefined
    : `${req.cmd}:${user}:${rid}`;
  const clock = { nowMs: Date.now(), ttlMs: peerLeaseMs };
  return await replica.write(
    () => decideWrite(replica.state, req, user, undefined, clock),
    retryKey,
  );
}

/**
 * Runs any client command except `status` and `digest`, which need the server's view.
 * A write sent with a retry id (`rid`) that this tracker already has is
 * answered with its first reply, not applied again.
 * @returns the reply data
 * @throws {AppError} the command's refusal
 */
export async function runCommand(
  replica: Replica,
  req: Exclude<TrackerRequest, { cmd: "status" | "digest" }>,
  context: CommandContext,
): Promise<unknown> {
  const { rid } = context;
  switch (req.cmd) {
    case "ping":
      return { pong: true };
    case "create_user": {
      const retryKey = rid === undefined ? undefined : `create_user:${req.user}:${rid}`;
      return await createUser(replica, req, { ...context, retryKey });
    }
    case "login":
      return await login(replica, req, context);
    default:
      return await sessionCommand(replica, req, rid, context.peerLeaseMs);
  }
}
