/**
 * Shared pieces of the tracker and cluster tests: the tracker's own test
 * configuration (re-exported), a connection helper, error-code assertions and
 * bounded polling.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { AppError, type ErrorCode } from "../protocol/errors.ts";
import { fileHashOf, type Manifest } from "../protocol/manifest.ts";
import { RpcClient } from "../protocol/rpc_client.ts";

export { testConfig } from "../tracker/config.ts";

/**
 * Connects to a tracker, closing the connection on dispose.
 * @returns the client
 */
export async function connect(addr: string): Promise<RpcClient & Disposable> {
  const client = await RpcClient.connect(addr);
  return Object.assign(client, { [Symbol.dispose]: () => client.close() });
}

/**
 * Asserts that a request fails with `code`.
 * @returns the error
 */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}, got success`);
}

/**
 * A consistent manifest for made-up content.
 * @returns a manifest of `size` bytes with 4-byte pieces
 */
export function fakeManifest(content: string, size = 10): Manifest {
  const hash = (text: string) => createHash("sha256").update(text).digest("hex");
  const pieceSize = 4;
  const pieceHashes = Array.from(
    { length: Math.ceil(size / pieceSize) },
    (_, i) => hash(`${content}:${i}`),
  );
  return { fileHash: fileHashOf({ size, pieceSize, pieceHashes }), size, pieceSize, pieceHashes };
}

/**
 * Polls `check` until it returns a value other than undefined.
 * @returns that value
 * @throws {Error} after `timeoutMs`
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Creates a user and logs in.
 * @returns the session token
 */
export async function userSession(
  client: RpcClient,
  user: string,
  password = "pw-" + user,
): Promise<string> {
  await client.request("create_user", { user, password });
  const { token } = await client.request<{ token: string }>("login", { user, password });
  return token;
}
