import assert from "node:assert/strict";
import { clusterKeyFromSeed } from "./cluster_key.ts";
import {
  MAX_TICKET_BYTES,
  readTicketClaims,
  signTicket,
  ticketBytes,
  type TicketClaims,
  verifyTicket,
} from "./ticket.ts";

const KEY = clusterKeyFromSeed(new Uint8Array(32).fill(7));
const OTHER = clusterKeyFromSeed(new Uint8Array(32).fill(8));
const CLAIMS: TicketClaims = {
  user: "bob",
  group: "g1",
  fileHash: "ab".repeat(32),
  notAfterMs: 1_700_000_600_000,
};
const NOW = 1_700_000_000_000;

Deno.test("verifyTicket() accepts a ticket signed by the cluster key and returns its claims", () => {
  const check = verifyTicket(KEY.publicKey, ticketBytes(signTicket(KEY, CLAIMS)), NOW);
  assert.deepEqual(check, { ok: true, claims: CLAIMS });
});

Deno.test("verifyTicket() refuses expired, foreign, tampered, truncated and keyless tickets", () => {
  const bytes = ticketBytes(signTicket(KEY, CLAIMS));
  const tampered = bytes.slice();
  tampered[bytes.length - 70] = tampered[bytes.length - 70]! ^ 1; // a byte of the user name
  const longer = signTicket(KEY, { ...CLAIMS, notAfterMs: CLAIMS.notAfterMs + 1 });
  const spliced = new Uint8Array([
    ...ticketBytes(longer).subarray(0, bytes.length - 64),
    ...bytes.subarray(bytes.length - 64),
  ]);
  const cases: [string, string | undefined, Uint8Array, number, RegExp][] = [
    ["expired", KEY.publicKey, bytes, CLAIMS.notAfterMs + 1, /expired/],
    ["other key", KEY.publicKey, ticketBytes(signTicket(OTHER, CLAIMS)), NOW, /not signed/],
    ["tampered", KEY.publicKey, tampered, NOW, /not signed/],
    ["spliced", KEY.publicKey, spliced, NOW, /not signed/],
    ["truncated", KEY.publicKey, bytes.subarray(0, bytes.length - 1), NOW, /Malformed/],
    ["empty", KEY.publicKey, new Uint8Array(0), NOW, /Malformed/],
    ["no key", undefined, bytes, NOW, /not logged in/],
    ["bad key", "nonsense", bytes, NOW, /not signed/],
  ];
  for (const [name, key, ticket, now, message] of cases) {
    const check = verifyTicket(key, ticket, now);
    assert.equal(check.ok, false, name);
    if (!check.ok) assert.match(check.message, message, name);
  }
});

Deno.test("readTicketClaims() never throws on random bytes", () => {
  for (let i = 0; i < 2000; i++) {
    const bytes = crypto.getRandomValues(new Uint8Array(i % (MAX_TICKET_BYTES + 20)));
    if (i % 3 === 0 && bytes.length > 0) bytes[0] = 1;
    readTicketClaims(bytes);
    assert.equal(verifyTicket(KEY.publicKey, bytes, NOW).ok, false);
  }
});

Deno.test("signTicket() refuses claims the encoding cannot hold", () => {
  assert.throws(() => signTicket(KEY, { ...CLAIMS, fileHash: "AB".repeat(32) }), TypeError);
  assert.throws(() => signTicket(KEY, { ...CLAIMS, user: "u".repeat(256) }), RangeError);
  assert.throws(() => signTicket(KEY, { ...CLAIMS, notAfterMs: -1 }), RangeError);
  const longest = signTicket(KEY, { ...CLAIMS, user: "u".repeat(255), group: "g".repeat(255) });
  assert.equal(ticketBytes(longest).length, MAX_TICKET_BYTES);
});
