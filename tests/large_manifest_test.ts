/**
 * Files of any size the protocol allows: a 1 TiB file's manifest (synthetic
 * piece hashes) is accepted at upload, replicated to a peer tracker and served
 * there through a client's reply limit; one past the limits is refused.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  fileHashOf,
  type Manifest,
  MAX_PIECES,
  pieceCount,
  pieceSizeFor,
} from "../protocol/manifest.ts";
import { RpcClient } from "../protocol/rpc_client.ts";
import { tempDir } from "./harness.ts";
import { converged, startPeer } from "./cluster_helpers.ts";
import { rejectsWith, userSession, waitFor } from "./tracker_helpers.ts";

const TiB = 1024 ** 4;

function syntheticManifest(size: number, pieceSize = pieceSizeFor(size)): Manifest {
  const sha = (text: string) => createHash("sha256").update(text).digest("hex");
  const pieceHashes = Array.from({ length: pieceCount(size, pieceSize) }, (_, i) => sha(`p${i}`));
  return { fileHash: fileHashOf({ size, pieceSize, pieceHashes }), size, pieceSize, pieceHashes };
}

Deno.test("a 1 TiB file's manifest is accepted, replicated and served; an oversized one is refused", async () => {
  await using d1 = await tempDir();
  await using d2 = await tempDir();
  await using t1 = await startPeer(1, d1.path);
  await using t2 = await startPeer(2, d2.path, ["--peer", t1.addr]);
  const c1 = await RpcClient.connect(t1.addr);
  const c2 = await RpcClient.connect(t2.addr);
  try {
    const token = await userSession(c1, "alice");
    await c1.request("create_group", { token, group: "g" });
    const big = syntheticManifest(TiB);
    assert.equal(big.pieceHashes.length, MAX_PIECES);
    const share = { token, group: "g", addr: "127.0.0.1:9", manifest: big };
    await c1.request("upload_file", { ...share, name: "disk.img" });
    await converged([t1.addr, t2.addr]);

    const t2Token = (await c2.request<{ token: string }>("login", {
      user: "alice",
      password: "pw-alice",
    })).token;
    const offer = await waitFor(() =>
      c2.request<{ manifest: Manifest }>("download_file", {
        token: t2Token,
        group: "g",
        name: "disk.img",
      }).catch(() => undefined)
    );
    assert.deepEqual(offer.manifest, big);

    // Past 1 TiB, and too many pieces for the size: refused at upload, with why.
    const past = { ...syntheticManifest(TiB), size: TiB + 1 };
    const huge = { ...past, fileHash: fileHashOf(past) };
    const error = await rejectsWith(
      c1.request("upload_file", { ...share, name: "huge.img", manifest: huge }),
      "BAD_REQUEST",
    );
    assert.match(error.message, /1 TiB/);
    const fine = syntheticManifest((MAX_PIECES + 1) * 512 * 1024, 512 * 1024);
    const tooMany = await rejectsWith(
      c1.request("upload_file", { ...share, name: "many.img", manifest: fine }),
      "BAD_REQUEST",
    );
    assert.match(tooMany.message, /at most 16384 pieces/);
    const { files } = await c1.request<{ files: { name: string }[] }>("list_files", {
      token,
      group: "g",
    });
    assert.deepEqual(files.map((f) => f.name), ["disk.img"]);
  } finally {
    c1.close();
    c2.close();
  }
});
