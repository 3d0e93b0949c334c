/**
 * The dialer's side of one authenticated link: the mutual handshake (which
 * binds the address dialed, so a relay on another tracker's port is refused),
 * then requests numbered and sealed with the link's MAC, whose replies must
 * carry the acceptor's MAC of the same number.
 */
import { AppError } from "../protocol/errors.ts";
import { newNonce, parseVersionVector, type PeerReplies } from "../protocol/cluster_messages.ts";
import {
  type HandshakeInput,
  LinkChannel,
  linkProof,
  proofMatches,
} from "../protocol/link_auth.ts";
import type { RpcClient } from "../protocol/rpc_client.ts";
import type { Op } from "./ops.ts";
import type { VersionVector } from "./storage.ts";

/** Who dials whom. */
export interface DialInput {
  secret: string;
  selfId: number;
  /** This tracker's control address, told so the peer can dial back. */
  selfAddr: string;
  /** The address dialed. */
  peer: string;
}

/** An acknowledged batch. */
export interface OpsAck {
  versionVector: VersionVector;
  paused: number[];
}

/** An authenticated link, as the dialer drives it. */
export class DialedLink {
  readonly peerId: number;
  /** The peer's committed version vector at the handshake. */
  readonly versionVector: VersionVector;
  #client: RpcClient;
  #channel: LinkChannel;
  #seq = 0;

  private constructor(
    client: RpcClient,
    peerId: number,
    channel: LinkChannel,
    vv: VersionVector,
  ) {
    this.#client = client;
    this.peerId = peerId;
    this.#channel = channel;
    this.versionVector = vv;
  }

  /**
   * Runs the handshake on a fresh connection.
   * @returns the authenticated link
   * @throws {AppError} UNAUTHORIZED when either side's proof fails
   */
  static async open(client: RpcClient, dial: DialInput): Promise<DialedLink> {
    const dialerNonce = newNonce();
    const reached = client.remoteAddr;
    const hello = await client.request<PeerReplies["peer_hello"]>("peer_hello", {
      from: dial.selfId,
      nonce: dialerNonce,
      addr: dial.selfAddr,
      to: dial.peer,
      reached,
    });
    const acceptorId = hello.id;
    if (!Number.isSafeInteger(acceptorId) || acceptorId < 1 || acceptorId === dial.selfId) {
      throw new AppError("UNAUTHORIZED", "the peer does not give a tracker id of its own");
    }
    const input: HandshakeInput = {
      dialerNonce,
      acceptorNonce: String(hello.nonce),
      dialerId: dial.selfId,
      acceptorId,
      dialedAddr: dial.peer,
      reachedAddr: reached,
    };
    const proof = linkProof(dial.secret, "dialer", input);
    const auth = await client.request<PeerReplies["peer_auth"]>("peer_auth", { proof });
    const channel = new LinkChannel(dial.secret, input);
    const { versionVector } = auth;
    if (
      !proofMatches(linkProof(dial.secret, "acceptor", input), auth.proof) ||
      !channel.verify("acceptor", 0, "peer_auth", { versionVector }, auth.mac)
    ) {
      throw new AppError("UNAUTHORIZED", "the peer does not know the cluster secret");
    }
    return new DialedLink(client, acceptorId, channel, parseVersionVector(versionVector));
  }

  /**
   * Sends a batch and waits until it is durable on the peer.
   * @returns the peer's committed version vector and the origins it will not take yet
   */
  async sendOps(ops: Op[], timeoutMs: number): Promise<OpsAck> {
    const reply = await this.#request<PeerReplies["peer_ops"]>("peer_ops", { ops }, timeoutMs);
    const paused = Array.isArray(reply.paused)
      ? reply.paused.filter((o): o is number => Number.isSafeInteger(o))
      : [];
    return { versionVector: parseVersionVector(reply.versionVector), paused };
  }

  /**
   * Asks the peer for its state digest.
   * @returns the digest and the version vector of the state it was taken from
   */
  async digest(timeoutMs: number): Promise<{ digest: string; versionVector: VersionVector }> {
    const reply = await this.#request<PeerReplies["peer_digest"]>("peer_digest", {}, timeoutMs);
    return { digest: String(reply.digest), versionVector: parseVersionVector(reply.versionVector) };
  }

  /**
   * Says the link is alive when it has had nothing to send: the peer closes
   * a silent connection. A plain `ping`, which touches no state.
   */
  async keepAlive(timeoutMs: number): Promise<void> {
    await this.#client.request("ping", {}, timeoutMs);
  }

  /**
   * Sends one part of a snapshot and waits until the peer took it (and, for
   * the last part, merged the whole snapshot durably).
   * @returns the peer's committed version vector
   */
  async sendSnapshotPart(
    part: { part: number; lines: string[]; done: boolean; versionVector: Record<string, number> },
    timeoutMs: number,
  ): Promise<VersionVector> {
    const reply = await this.#request<PeerReplies["peer_snapshot"]>(
      "peer_snapshot",
      part,
      timeoutMs,
    );
    return parseVersionVector(reply.versionVector);
  }

  async #request<T extends { mac: string }>(
    cmd: string,
    payload: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<T> {
    const seq = ++this.#seq;
    const mac = this.#channel.mac("dialer", seq, cmd, payload);
    const reply = await this.#client.request<T>(cmd, { ...payload, seq, mac }, timeoutMs);
    const { mac: replyMac, ...rest } = reply;
    if (!this.#channel.verify("acceptor", seq, cmd, rest, replyMac)) {
      throw new AppError("UNAUTHORIZED", `the reply to ${cmd} #${seq} fails the link's MAC`);
    }
    return reply;
  }
}
