import assert from "node:assert/strict";
import { EventStreamHub, formatEvent } from "./event_stream.ts";

Deno.test("formatEvent() keeps a newline in the data from starting a new field", () => {
  assert.equal(
    formatEvent("vi\new", "a\nevent: evil\r\nb"),
    "event: view\ndata: a\ndata: event: evil\ndata: b\n\n",
  );
});

Deno.test("EventStreamHub sends the first view, then changes, and refuses past its bound", async () => {
  const hub = new EventStreamHub({ maxClients: 1 });
  const response = hub.open({ event: "view", data: "one" });
  assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
  assert.equal(hub.open({ event: "view", data: "x" }).status, 503);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  hub.send("view", "two");
  let text = "";
  while (!text.includes("data: two")) text += (await reader.read()).value;
  assert.equal(text, "retry: 2000\nevent: view\ndata: one\n\nevent: view\ndata: two\n\n");
  await reader.cancel();
  assert.equal(hub.size, 0, "a listener that leaves frees its slot");
  hub.close();
});

Deno.test("EventStreamHub drops a listener that stops reading", async () => {
  const hub = new EventStreamHub({ maxQueuedEvents: 4 });
  const response = hub.open({ event: "view", data: "first" });
  for (let i = 0; i < 10; i++) hub.send("view", `change ${i}`);
  assert.equal(hub.size, 0);
  await assert.rejects(new Response(response.body).text());
  hub.close();
});
