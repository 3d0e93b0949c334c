/**
 * The accepting end of a link from a peer tracker, one per connection: it
 * runs the challenge-response handshake, then stores the ops the peer sends.
 * Until the peer has proved it knows the cluster secret, nothing it sends
 * touches the state.
 */
import { AppError } from "../protocol/errors.ts";
import {
  linkProof,
  newNonce,
  type PeerReplies,
  type PeerRequest,
  proofMatches,
} from "../protocol/cluster_messages.ts";
import { parseOp } from "./ops.ts";
import type { Replica } from "./replica.ts";
import { vvToObject } from "./storage.ts";

/** Options of {@link ReplicationSession}. */
export interface ReplicationSessionOptions {
  replica: Replica;
  clusterSecret: string | undefined;
  /** The remote address, for log lines. */
  remote: string;
  log: (line: string) => void;
  /** Told when a peer has authenticated, with the address it dials from (if it said). */
  onPeer: (peerId: number, addr: string | undefined) => void;
}

/** The acceptor's side of one inbound cluster link. */
export class ReplicationSession {
  #options: ReplicationSessionOptions;
  #hello:
    | { from: number; dialerNonce: string; acceptorNonce: string; addr: string | undefined }
    | undefined;
  #peerId: number | undefined;

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
        return this.#helloReply(req.from, req.nonce, req.addr);
      case "peer_auth":
        return this.#auth(req.proof);
      case "peer_ops":
        return await this.#ops(req.ops);
    }
  }

  #helloReply(
    from: number,
    dialerNonce: string,
    addr: string | undefined,
  ): PeerReplies["peer_hello"] {
    const { clusterSecret, replica } = this.#options;
    if (clusterSecret === undefined) {
      this.#refuse(`tracker ${from}: this tracker has no cluster secret`);
    }
    if (from === replica.id) this.#refuse(`tracker ${from}: it has this tracker's own id`);
    const acceptorNonce = newNonce();
    this.#hello = { from, dialerNonce, acceptorNonce, addr };
    this.#peerId = undefined;
    return { id: replica.id, nonce: acceptorNonce };
  }

  #auth(proof: string): PeerReplies["peer_auth"] {
    const { clusterSecret, replica } = this.#options;
    const hello = this.#hello;
    if (hello === undefined || clusterSecret === undefined) {
      this.#refuse("peer_auth before peer_hello");
    }
    this.#hello = undefined; // one try per challenge
    const input = {
      dialerNonce: hello.dialerNonce,
      acceptorNonce: hello.acceptorNonce,
      dialerId: hello.from,
      acceptorId: replica.id,
    };
    const expected = linkProof(clusterSecret, { role: "dialer", ...input });
    if (!proofMatches(expected, proof)) this.#refuse(`tracker ${hello.from}: wrong cluster secret`);
    this.#peerId = hello.from;
    this.#options.log(`cluster link from tracker ${hello.from} (${this.#options.remote}) accepted`);
    this.#options.onPeer(hello.from, hello.addr);
    return {
      proof: linkProof(clusterSecret, { role: "acceptor", ...input }),
      versionVector: vvToObject(replica.committed),
    };
  }

  async #ops(rawOps: unknown[]): Promise<PeerReplies["peer_ops"]> {
    const peerId = this.#peerId;
    if (peerId === undefined) this.#refuse("peer_ops before a completed handshake");
    const ops = rawOps.map((raw) => parseOp(raw));
    const accepted = await this.#options.replica.receive(ops, peerId);
    return { accepted, versionVector: vvToObject(this.#options.replica.committed) };
  }

  #refuse(reason: string): never {
    this.#options.log(`refused cluster link from ${this.#options.remote}: ${reason}`);
    throw new AppError("UNAUTHORIZED", "Cluster link refused: authentication failed");
  }
}
