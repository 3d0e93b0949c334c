/**
 * The seeder's door for one connection: judges each frame as it arrives.
 * First a hello of our version; then nothing is served without a download
 * ticket signed with the cluster key (protocol/ticket.ts), and then only the
 * ticket's file, in the ticket's group, until it expires. A fresher ticket
 * replaces the one before. Frames are judged when they are read, not when
 * their turn to be served comes: a request a downloader sent while its ticket
 * held is served even if a slow (upload-capped) seeder gets to it later.
 * Pure: the caller passes the time.
 */
import { AppError } from "../../protocol/errors.ts";
import { PEER_PROTOCOL_VERSION, type PeerFrame } from "../../protocol/peer_frames.ts";
import { type TicketClaims, verifyTicket } from "../../protocol/ticket.ts";
import type { ShareCatalog } from "./catalog_types.ts";

/** What a gate needs to know. */
export interface TicketGateOptions {
  catalog: ShareCatalog;
  /** The cluster's public key; undefined refuses every ticket. */
  clusterKey: () => string | undefined;
}

/** One connection's hello and ticket state. */
export class TicketGate {
  #o: TicketGateOptions;
  #greeted = false;
  #grant: TicketClaims | null = null;

  /** @param options the catalog and the cluster key */
  constructor(options: TicketGateOptions) {
    this.#o = options;
  }

  /** True once the connection has shown a valid ticket. */
  get hasTicket(): boolean {
    return this.#grant !== null;
  }

  /**
   * Judges a frame just read, taking in a hello or a ticket.
   * @returns null to let it through, or the connection-level error to send before closing
   */
  admit(frame: PeerFrame, nowMs: number): AppError | null {
    if (!this.#greeted) {
      const refusal = checkHello(frame);
      this.#greeted = refusal === null;
      return refusal;
    }
    if (frame.type === "ticket") {
      const check = verifyTicket(this.#o.clusterKey(), frame.ticket, nowMs);
      if (!check.ok) return new AppError("UNAUTHORIZED", check.message);
      this.#grant = check.claims;
      return null;
    }
    if (frame.type !== "request" && frame.type !== "have_request") return null;
    const grant = this.#grant;
    if (grant === null) {
      return new AppError("UNAUTHORIZED", "Send a download ticket before asking for pieces");
    }
    if (nowMs > grant.notAfterMs) {
      return new AppError("UNAUTHORIZED", "The download ticket has expired");
    }
    if (frame.fileHash !== grant.fileHash) {
      return new AppError("FORBIDDEN", "The download ticket is for another file");
    }
    const shared = this.#o.catalog.lookup(frame.fileHash);
    if (shared !== undefined && !shared.groups.includes(grant.group)) {
      return new AppError("FORBIDDEN", `The file is not shared here in group "${grant.group}"`);
    }
    return null;
  }
}

function checkHello(frame: PeerFrame): AppError | null {
  if (frame.type !== "hello") {
    return new AppError("BAD_REQUEST", "Expected a peer-protocol hello first");
  }
  if (frame.version !== PEER_PROTOCOL_VERSION) {
    return new AppError(
      "VERSION_MISMATCH",
      `Peer protocol version ${frame.version} is not supported; this seeder speaks ${PEER_PROTOCOL_VERSION}`,
    );
  }
  return null;
}
