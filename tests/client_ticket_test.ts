/**
 * Download tickets between real client processes and a real tracker with a
 * short ticket lifetime: a member's download from two seeders outlives
 * several tickets and completes; a stranger, an old peer, a forger and a
 * member who left (once its last ticket expired) get one error frame from
 * the same seeders and not a byte, and a seeder whose user logged out serves
 * nobody.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnProgram, tempDir } from "./harness.ts";
import { setUpGroup, startClientProc, writeTestFile } from "./client_helpers.ts";
import { connect, rejectsWith, userSession } from "./tracker_helpers.ts";
import { concat, errorOf, exchange } from "./transfer_fixtures.ts";
import { clusterKeyFromSeed } from "../protocol/cluster_key.ts";
import { AppError } from "../protocol/errors.ts";
import { encodeHello, encodeRequest, encodeTicket } from "../protocol/peer_frames.ts";
import { readTicketClaims, signTicket, ticketBytes } from "../protocol/ticket.ts";
import type { TrackerReplies } from "../protocol/tracker_messages.ts";
import { PeerConn } from "../client/transfer/mod.ts";

const MIB = 1024 * 1024;
const LIFETIME_MS = 1000;

/** Sends `opening` then a request for piece 0; @returns the replies besides hello, and whether closed */
async function tryPiece(addr: string, opening: Uint8Array, fileHash: string, peerCert: string) {
  const { frames, closed } = await exchange(
    addr,
    concat(opening, encodeRequest(1, fileHash, 0)),
    3,
    { peerCert },
  );
  return { replies: frames.filter((f) => f.type !== "hello").map(errorOf), closed };
}

Deno.test("seeders serve a member across renewed tickets, and nothing to a stranger, an old peer, a forger, an ex-member, or once their user logged out", async () => {
  await using dir = await tempDir("client-tickets-");
  await using tracker = await spawnProgram("tracker", [
    "--port",
    "0",
    "--data-dir",
    join(dir.path, "tracker"),
    "--ticket-lifetime",
    String(LIFETIME_MS),
  ]);
  const t = ["--tracker", tracker.addr];
  // Capped at 4 MiB/s each, two seeders take about 3 s over 32 MiB, and the
  // downloader keeps asking for more pieces all along: several ticket lifetimes.
  const slow = [...t, "--upload-limit", "4M"];
  // Seeders serve TLS here (--peer-tls), as they do beyond loopback.
  await using alice = await startClientProc(join(dir.path, "alice"), [...slow, "--peer-tls"]);
  await using carol = await startClientProc(join(dir.path, "carol"), [...slow, "--peer-tls"]);
  await using bob = await startClientProc(join(dir.path, "bob"), t);
  await setUpGroup([alice, carol, bob], ["alice", "carol", "bob"], "g");
  let bytes: Uint8Array = new Uint8Array();
  for (const [name, client] of [["alice", alice], ["carol", carol]] as const) {
    await Deno.mkdir(join(dir.path, `${name}-src`));
    const path = join(dir.path, `${name}-src`, "data.bin");
    bytes = await writeTestFile(path, 32 * MIB, 5);
    await client.ok(`upload_file ${path} g`);
  }

  const dest = join(dir.path, "bob.bin");
  const startMs = Date.now();
  await bob.ok(`download_file g data.bin ${dest}`);
  const [ended] = (await bob.ok("wait", 60_000)).downloads;
  assert.equal(ended.state, "complete", ended.error);
  assert.ok(Date.now() - startMs > LIFETIME_MS, "the download outlived its first ticket");
  assert.deepEqual(await Deno.readFile(dest), bytes);
  const peers = (await bob.ok("show_downloads")).downloads[0].peers as {
    addr: string;
    bytes: number;
  }[];
  assert.equal(peers.length, 2);
  assert.ok(peers.every((p) => p.bytes > 0), JSON.stringify(peers));
  const seederAddr = peers[0]!.addr;

  // Dave joins and gets a real ticket; it works while he is a member.
  using rpc = await connect(tracker.addr);
  const dave = await userSession(rpc, "dave");
  await rpc.request("join_group", { token: dave, group: "g" });
  await alice.ok("accept_request g dave");
  const offer = await rpc.request<TrackerReplies["download_file"]>("download_file", {
    token: dave,
    group: "g",
    name: "data.bin",
  });
  const fileHash = offer.manifest.fileHash;
  // Seeders serve TLS with their own certificates, handed out with the peer list.
  const certOf = (addr: string) => offer.peers.find((p) => p.addr === addr)!.cert!;
  const seederCert = certOf(seederAddr);
  const member = await PeerConn.connect(seederAddr, 5000, {
    ticket: offer.ticket,
    peerCert: seederCert,
  });
  try {
    const piece = await member.requestPiece(fileHash, 0, 5000);
    assert.deepEqual(piece.data, bytes.subarray(0, 512 * 1024));

    const stranger = await tryPiece(seederAddr, encodeHello(), fileHash, seederCert);
    assert.deepEqual(stranger, { replies: [[0, "UNAUTHORIZED"]], closed: true });
    const ticketFrame = encodeTicket(ticketBytes(offer.ticket));
    const old = await tryPiece(
      seederAddr,
      concat(encodeHello(1), ticketFrame),
      fileHash,
      seederCert,
    );
    assert.deepEqual(old, { replies: [[0, "VERSION_MISMATCH"]], closed: true });
    const forged = signTicket(clusterKeyFromSeed(new Uint8Array(32).fill(3)), {
      ...readTicketClaims(ticketBytes(offer.ticket))!,
      notAfterMs: Date.now() + 3_600_000,
    });
    const forger = await tryPiece(
      seederAddr,
      concat(encodeHello(), encodeTicket(ticketBytes(forged))),
      fileHash,
      seederCert,
    );
    assert.deepEqual(forger, { replies: [[0, "UNAUTHORIZED"]], closed: true });

    // Dave leaves: no new ticket, and once his last one expires, nothing more.
    await rpc.request("leave_group", { token: dave, group: "g" });
    await rejectsWith(
      rpc.request("download_file", { token: dave, group: "g", name: "data.bin" }),
      "FORBIDDEN",
    );
    const notAfterMs = readTicketClaims(ticketBytes(offer.ticket))!.notAfterMs;
    await new Promise((r) => setTimeout(r, Math.max(0, notAfterMs - Date.now()) + 50));
    const refused = await member.requestPiece(fileHash, 1, 5000).then(() => null, (e) => e);
    assert.ok(refused instanceof AppError);
    assert.equal(refused.code, "UNAUTHORIZED");
    const exMember = await tryPiece(
      seederAddr,
      concat(encodeHello(), ticketFrame),
      fileHash,
      seederCert,
    );
    assert.deepEqual(exMember, { replies: [[0, "UNAUTHORIZED"]], closed: true });

    // A seeder whose user logged out serves nobody, even on a valid ticket; the other still does.
    const { token } = await rpc.request<{ token: string }>("login", {
      user: "carol",
      password: "pw-carol",
    });
    const fresh = await rpc.request<TrackerReplies["download_file"]>("download_file", {
      token,
      group: "g",
      name: "data.bin",
    });
    await alice.ok("logout");
    const opening = concat(encodeHello(), encodeTicket(ticketBytes(fresh.ticket)));
    const outcomes = [];
    for (const peer of peers) {
      const { frames } = await exchange(
        peer.addr,
        concat(opening, encodeRequest(1, fileHash, 0)),
        2,
        { peerCert: certOf(peer.addr) },
      );
      outcomes.push(frames[1]?.type === "piece" ? "piece" : errorOf(frames[1])?.[1]);
    }
    assert.deepEqual(outcomes.sort(), ["UNAUTHORIZED", "piece"]);
  } finally {
    member.close();
    await member.closed;
  }
});
