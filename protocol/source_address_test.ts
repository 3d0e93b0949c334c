import assert from "node:assert/strict";
import { sourceKey } from "./source_address.ts";

Deno.test("sourceKey() keeps IPv4 and groups IPv6 by /64", () => {
  const cases: [string, string][] = [
    ["127.0.0.1", "127.0.0.1"],
    ["::ffff:10.1.2.3", "10.1.2.3"],
    ["2001:db8:0:1:aaaa:bbbb:cccc:dddd", "2001:db8:0:1::/64"],
    ["2001:0db8:0000:0001::1", "2001:db8:0:1::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
  ];
  for (const [hostname, key] of cases) assert.equal(sourceKey(hostname), key, hostname);
  assert.equal(sourceKey("2001:db8:0:1::5"), sourceKey("2001:db8:0:1:ffff::9"));
});
