import assert from "node:assert/strict";
import { IndexedMinHeap } from "./heap.ts";

interface Load {
  clients: number;
  addr: string;
}

function byLoad(a: Load, b: Load): number {
  return a.clients - b.clients || (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0);
}

/** mulberry32: a small seeded PRNG so a failure replays exactly. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The reference: a plain array kept sorted after every change. */
class SortedReference {
  items: Load[] = [];
  set(value: Load): void {
    this.delete(value.addr);
    this.items.push(value);
    this.items.sort(byLoad);
  }
  delete(addr: string): boolean {
    const at = this.items.findIndex((item) => item.addr === addr);
    if (at === -1) return false;
    this.items.splice(at, 1);
    return true;
  }
}

Deno.test("IndexedMinHeap matches a sorted-array reference over random operations", () => {
  for (const seed of [1, 2, 3, 42, 2024]) {
    const random = prng(seed);
    const heap = new IndexedMinHeap<string, Load>(byLoad);
    const reference = new SortedReference();
    for (let step = 0; step < 4000; step++) {
      const addr = `10.0.0.${Math.floor(random() * 40)}:7000`;
      const roll = random();
      if (roll < 0.55) {
        const value = { addr, clients: Math.floor(random() * 20) };
        heap.set(addr, value);
        reference.set(value);
      } else if (roll < 0.85) {
        assert.equal(heap.delete(addr), reference.delete(addr), `seed ${seed} step ${step}`);
      } else {
        const popped = heap.pop();
        const expected = reference.items.shift();
        assert.deepEqual(popped?.value, expected, `seed ${seed} step ${step}`);
      }
      assert.equal(heap.size, reference.items.length);
      assert.deepEqual(heap.peek()?.value, reference.items[0], `seed ${seed} step ${step}`);
      assert.equal(heap.get(addr), reference.items.find((item) => item.addr === addr));
    }
    const drained: Load[] = [];
    for (let top = heap.pop(); top !== undefined; top = heap.pop()) drained.push(top.value);
    assert.deepEqual(drained, reference.items, `seed ${seed}: drain order`);
  }
});

Deno.test("IndexedMinHeap.set() moves an updated item both up and down", () => {
  const heap = new IndexedMinHeap<string, Load>(byLoad);
  for (const [addr, clients] of [["a:1", 5], ["b:1", 3], ["c:1", 8], ["d:1", 1]] as const) {
    heap.set(addr, { addr, clients });
  }
  assert.equal(heap.peek()?.key, "d:1");
  heap.set("d:1", { addr: "d:1", clients: 9 });
  assert.equal(heap.peek()?.key, "b:1");
  heap.set("c:1", { addr: "c:1", clients: 0 });
  assert.equal(heap.peek()?.key, "c:1");
  assert.ok(heap.has("a:1"));
  assert.equal(heap.delete("zz:1"), false);
});

Deno.test("IndexedMinHeap breaks ties between equal loads by address", () => {
  const heap = new IndexedMinHeap<string, Load>(byLoad);
  for (const addr of ["c:1", "a:1", "b:1"]) heap.set(addr, { addr, clients: 2 });
  assert.deepEqual([heap.pop()?.key, heap.pop()?.key, heap.pop()?.key], ["a:1", "b:1", "c:1"]);
  assert.equal(heap.pop(), undefined);
  assert.equal(heap.peek(), undefined);
});
