/**
 * The accepting end of a link from a peer tracker, one per connection: it
 * runs the challenge-response handshake, then stores the ops the peer sends.
 * Until the peer has proved it knows the cluster secret, and unless each
 * later message carries the link's MAC and next number, nothing it sends
 * touches the state. A hello that dialed another address (a relay on a
 * down peer's port) is refused.
 */
import { AppError } from "../protocol/errors.ts";
import { newNonce, type PeerReplies, type PeerRequest } from "../protocol/cluster_messages.ts";
import {
  type HandshakeInput,
  LinkChannel,
  linkProof,
  proofMatches,
} from "../protocol/link_auth.ts";
import type { OpScreen } from "./op_screen.ts";
import { parseOp } from "./ops.ts";
import type { Replica } from "./replica.ts";
import { SnapshotIntake } from "./snapshot_transfer.ts";
import { vvToObject } from "./storage.ts";

/** Options of {@link ReplicationSession}. */
export interface ReplicationSessionOptions {
  replica: Replica;
  clusterSecret: string | undefined;
  /** The remote address, for log lines. */
  remote: string;
  /** The address this connection arrived on, as the network resolved it. */
  localAddr: string;
  /** The addresses this tracker is dialed at (listening and advertised). */
  selfAddrs: readonly string[];
  /** Screens the ops peers send. */
  screen: OpScreen;
  log: (line: string) => void;
  /** Told when a peer has authenticated, with the address it dials from (if it said). */
  onPeer: (peerId: number, addr: string | undefined) => void;
}

/** The acceptor's side of one inbound cluster link. */
export class ReplicationSession {
  #options: ReplicationSessionOptions;
  #hello: { input: HandshakeInput; addr: string | undefined } | undefined;
  #link: { peerId: number; channel: LinkChannel; seq: number } | undefined;
  #intake = new SnapshotIntake();

  /** @param options the replica, the secret and a logger */
  constructor(options: ReplicationSessionOptions) {
    this.#options = options;
  }

  /**
   * Answers one link request.
   * @returns the reply data
   * @throws {AppError} UNAUTHORIZED before a good handshake, BAD_REQUEST for a bad op
   */
  async handle(req: PeerRequest): Promise<unknown> {
    switch (req.cmd) {
      case "peer_hello":
        return this.#helloReply(req);
      case "peer_auth":
        return this.#auth(req.proof);
      case "peer_ops":
        return await this.#ops(req.ops, req.seq, req.mac);
      case "peer_digest":
        return this.#digest(req.seq, req.mac);
      case "peer_snapshot":
        return this.#snapshot(req);
    }
  }

  #helloReply(req: PeerRequest & { cmd: "peer_hello" }): PeerReplies["peer_hello"] {
    const { clusterSecret, replica, localAddr, selfAddrs } = this.#options;
    this.#hello = undefined;
    this.#link = undefined;
    if (clusterSecret === undefined) {
      this.#refuse(`tracker ${req.from}: this tracker has no cluster secret`);
    }
    if (req.from === replica.id) this.#refuse(`tracker ${req.from}: it has this tracker's own id`);
    if (plainAddr(req.reached) !== plainAddr(localAddr) && !selfAddrs.includes(req.to)) {
      this.#refuse(
        `tracker ${req.from} dialed ${req.to.slice(0, 64)} (${req.reached.slice(0, 64)}), ` +
          `not this tracker at ${localAddr}: a relay?`,
      );
    }
    const input: HandshakeInput = {
      dialerNonce: req.nonce,
      acceptorNonce: newNonce(),
      dialerId: req.from,
      acceptorId: replica.id,
      dialedAddr: req.to,
      reachedAddr: req.reached,
    };
    this.#hello = { input, addr: req.addr };
    return { id: replica.id, nonce: input.acceptorNonce };
  }

  #auth(proof: string): PeerReplies["peer_auth"] {
    const { clusterSecret, replica } = this.#options;
    const hello = this.#hello;
    if (hello === undefined || clusterSecret === undefined) {
      this.#refuse("peer_auth before peer_hello");
    }
    this.#hello = undefined; // one try per challenge
    const { input } = hello;
    const from = input.dialerId;
    const expected = linkProof(clusterSecret, "dialer", input);
    if (!proofMatches(expected, proof)) {
      this.#refuse(`tracker ${from}: wrong cluster secret, or a proof for another address`);
    }
    const channel = new LinkChannel(clusterSecret, input);
    this.#link = { peerId: from, channel, seq: 0 };
    this.#options.log(`cluster link from tracker ${from} (${this.#options.remote}) accepted`);
    this.#options.onPeer(from, hello.addr);
    const versionVector = vvToObject(replica.committed);
    return {
      proof: linkProof(clusterSecret, "acceptor", input),
      versionVector,
      mac: channel.mac("acceptor", 0, "peer_auth", { versionVector }),
    };
  }

  async #ops(rawOps: unknown[], seq: number, mac: string): Promise<PeerReplies["peer_ops"]> {
    const link = this.#open("peer_ops", seq, mac, { ops: rawOps });
    const ops = rawOps.map((raw) => parseOp(raw));
    const { admitted, paused } = this.#options.screen.screen(ops, link.peerId);
    const accepted = await this.#options.replica.receive(admitted, link.peerId);
    const reply = {
      accepted,
      versionVector: vvToObject(this.#options.replica.committed),
      paused,
    };
    return { ...reply, mac: link.channel.mac("acceptor", seq, "peer_ops", reply) };
  }

  #snapshot(req: PeerRequest & { cmd: "peer_snapshot" }): PeerReplies["peer_snapshot"] {
    const { part, lines, done, versionVector } = req;
    const link = this.#open("peer_snapshot", req.seq, req.mac, {
      part,
      lines,
      done,
      versionVector,
    });
    const { replica } = this.#options;
    const received = this.#intake.take(replica, link.peerId, req);
    if (done) this.#options.log(`took in the snapshot of tracker ${link.peerId}`);
    const reply = { received, versionVector: vvToObject(replica.committed) };
    return { ...reply, mac: link.channel.mac("acceptor", req.seq, "peer_snapshot", reply) };
  }

  #digest(seq: number, mac: string): PeerReplies["peer_digest"] {
    const link = this.#open("peer_digest", seq, mac, {});
    const { replica } = this.#options;
    // The digest and the version vector of the same applied state.
    const reply = { digest: replica.digest().digest, versionVector: vvToObject(replica.held) };
    return { ...reply, mac: link.channel.mac("acceptor", seq, "peer_digest", reply) };
  }

  /** Checks a message's number and MAC; a bad one ends the session. */
  #open(cmd: string, seq: number, mac: string, payload: unknown) {
    const link = this.#link;
    if (link === undefined) this.#refuse(`${cmd} before a completed handshake`);
    if (seq !== link.seq + 1 || !link.channel.verify("dialer", seq, cmd, payload, mac)) {
      this.#link = undefined;
      this.#refuse(`tracker ${link.peerId}: ${cmd} #${seq} fails the link's MAC or order`);
    }
    link.seq = seq;
    return link;
  }

  #refuse(reason: string): never {
    this.#options.log(`refused cluster link from ${this.#options.remote}: ${reason}`);
    throw new AppError("UNAUTHORIZED", "Cluster link refused: authentication failed");
  }
}

/** An IPv4 address as an IPv6 socket shows it ([::ffff:127.0.0.1]:7000) in plain form. */
function plainAddr(addr: string): string {
  const mapped = /^\[::ffff:(\d{1,3}(?:\.\d{1,3}){3})\](:\d+)$/i.exec(addr);
  return mapped === null ? addr : mapped[1]! + mapped[2]!;
}
