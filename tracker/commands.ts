/**
 * Runs one client command against the replica: validate, decide on the
 * current state, commit the resulting ops durably, then answer. Password
 * hashing (scrypt) is asynchronous and slow, so the decision is taken again
 * after it: another connection may have created the same user meanwhile.
 */
import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { AppError } from "../protocol/errors.ts";
import type { SessionRequest, TrackerRequest } from "../protocol/tracker_messages.ts";
import {
  SALT_BYTES,
  SCRYPT_CONCURRENCY,
  SCRYPT_COST,
  SCRYPT_KEY_BYTES,
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
import type { Replica } from "./replica.ts";

// A salt for hashing when the user does not exist, so a wrong name costs as much as a wrong password.
const DUMMY_SALT = randomBytes(SALT_BYTES);

// Hashes wait their turn: a burst of logins must not hold 16 MiB each at once.
let hashing = 0;
const waiting: (() => void)[] = [];

async function hashPassword(password: string, salt: Uint8Array): Promise<Buffer> {
  if (hashing >= SCRYPT_CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  else hashing++;
  try {
    return await scryptOnce(password, salt);
  } finally {
    const next = waiting.shift();
    if (next === undefined) hashing--;
    else next();
  }
}

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Uint8Array,
  keyBytes: number,
  options: ScryptOptions,
) => Promise<Buffer>;

function scryptOnce(password: string, salt: Uint8Array): Promise<Buffer> {
  return scryptAsync(password, salt, SCRYPT_KEY_BYTES, { N: SCRYPT_COST, r: 8, p: 1 });
}

/**
 * Creates a user with a salted scrypt hash of the password.
 * @returns `{ user }` once the user is durable
 * @throws {AppError} ALREADY_EXISTS when the name is taken
 */
export async function createUser(
  replica: Replica,
  user: string,
  password: string,
  retryKey?: string,
): Promise<{ user: string }> {
  if (retryKey !== undefined) {
    const earlier = await replica.answered(retryKey);
    if (earlier !== undefined) return earlier as { user: string };
  }
  decideCreateUser(replica.state, user, "-", "-"); // fail fast on a taken name
  const salt = randomBytes(SALT_BYTES);
  const hash = (await hashPassword(password, salt)).toString("hex");
  return await replica.write(() => ({
    bodies: decideCreateUser(replica.state, user, salt.toString("hex"), hash),
    data: { user },
  }), retryKey);
}

/**
 * Checks a password and opens a session valid on every tracker of the cluster.
 * @returns the user and a fresh token, once the session is durable
 * @throws {AppError} BAD_CREDENTIALS on an unknown user or a wrong password
 */
export async function login(
  replica: Replica,
  user: string,
  password: string,
): Promise<{ user: string; token: string }> {
  const credentials = credentialsOf(replica.state, user);
  const salt = credentials === undefined ? DUMMY_SALT : Buffer.from(credentials.salt, "hex");
  const got = await hashPassword(password, salt);
  const expected = credentials === undefined ? undefined : Buffer.from(credentials.hash, "hex");
  if (expected === undefined || expected.length !== got.length || !timingSafeEqual(expected, got)) {
    throw new AppError(
      "BAD_CREDENTIALS",
      `Cannot log in as "${user}": wrong user name or password`,
    );
  }
  const token = randomBytes(TOKEN_BYTES).toString("hex");
  return await replica.write(() => ({
    bodies: decideLogin(replica.state, user, token),
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
): Promise<unknown> {
  const user = sessionUser(replica.state, req.token);
  if (!isWriteRequest(req)) return answerQuery(replica.state, req, user);
  const retryKey = rid === undefined ? undefined : `${req.cmd}:${user}:${rid}`;
  return await replica.write(() => decideWrite(replica.state, req, user), retryKey);
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
  rid?: string,
): Promise<unknown> {
  switch (req.cmd) {
    case "ping":
      return { pong: true };
    case "create_user": {
      const retryKey = rid === undefined ? undefined : `create_user:${req.user}:${rid}`;
      return await createUser(replica, req.user, req.password, retryKey);
    }
    case "login":
      return await login(replica, req.user, req.password);
    default:
      return await sessionCommand(replica, req, rid);
  }
}
