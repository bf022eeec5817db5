import assert from "node:assert/strict";
import { Inbox, InboxClosedError } from "../lib/modes/inbox.ts";

Deno.test("posting wakes the loop: the signal is aborted while a message waits, re-armed once taken", async () => {
  const inbox = new Inbox<string, number>();
  assert.equal(inbox.signal.aborted, false);
  const answer = inbox.post("ping");
  assert.equal(inbox.signal.aborted, true);
  const taken = inbox.take();
  assert.equal(inbox.signal.aborted, false, "re-armed: the next sleep is not cut short");
  assert.deepEqual(taken.map((m) => m.message), ["ping"]);
  taken[0].reply(4);
  assert.equal(await answer, 4);
});

Deno.test("messages are taken in the order they were posted", async () => {
  const inbox = new Inbox<number, number>();
  const answers = [1, 2, 3].map((n) => inbox.post(n));
  assert.equal(inbox.size, 3);
  for (const m of inbox.take()) m.reply(m.message * 10);
  assert.deepEqual(await Promise.all(answers), [10, 20, 30]);
});

Deno.test("closing refuses what waits and what comes later, with the reason", async () => {
  const inbox = new Inbox<string, number>();
  const waiting = inbox.post("a");
  inbox.close("signal");
  await assert.rejects(waiting, (e) => e instanceof InboxClosedError && e.message === "signal");
  await assert.rejects(inbox.post("b"), /signal/);
  inbox.close("other");
  await assert.rejects(inbox.post("c"), /signal/, "the first reason stays");
});
