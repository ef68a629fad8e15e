// Transient unavailability against real silo processes: a refused address, a silo that starts late, and a restore
// whose connection is lost before or after the silo ran it (a proxy in front of the silo drops the connection).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { AgentSnapshotsClient, SnapshotError } from "../dist/index.js";
import { freePort, startSilo } from "./silo.mjs";

const localKey = randomBytes(32).toString("hex");
delete process.env.AGENTSNAPSHOTS_KEY;
const silos = [];

async function silo(options = {}) {
  const started = await startSilo({ localKey, ...options });
  silos.push(started);
  return started;
}

function workspace(root, name, text) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "a.txt"), text);
  return dir;
}

const safeties = (history) => history.snapshots.filter((s) => s.label?.startsWith("safety: before ")).length;

let running;
before(async () => {
  running = await silo();
});

after(async () => {
  for (const s of silos) await s.stop();
});

test("a call goes on to the next address when the first refuses connections", async () => {
  const client = new AgentSnapshotsClient({ baseUrl: [`http://127.0.0.1:${await freePort()}`, running.baseUrl], apiKey: localKey });
  const tracked = await client.track("ts-next", { dir: workspace(running.root, "next", "a\n") });
  assert.deepEqual((await client.history("ts-next")).snapshots.map((s) => s.hash), [tracked.hash]);
});

test("a call waits, within retryTimeMs, for a silo that is not up yet", async () => {
  const port = await freePort();
  const client = new AgentSnapshotsClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: localKey, retryTimeMs: 120_000 });
  const waiting = client.history("ts-late");
  const late = await silo({ httpPort: port });
  assert.equal((await waiting).snapshots.length, 0);
  await late.stop();

  const impatient = new AgentSnapshotsClient({ baseUrl: `http://127.0.0.1:${port}`, apiKey: localKey, retryTimeMs: 600 });
  const started = Date.now();
  await assert.rejects(impatient.history("ts-late"), (e) => e instanceof SnapshotError && e.code === "unreachable");
  assert.ok(Date.now() - started >= 250, "it retried before failing");
});

/** A proxy to the silo that drops the connection of the first restore, before forwarding it or after the silo answered. */
async function droppingProxy(target, when) {
  let dropped = false;
  const proxy = createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const isRestore = request.method === "POST" && request.url.endsWith("/restore");
    if (isRestore && !dropped && when === "before") {
      dropped = true;
      request.socket.destroy();
      return;
    }
    const answer = await fetch(target + request.url, {
      method: request.method,
      headers: { ...request.headers, host: new URL(target).host },
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    const text = await answer.text();
    if (isRestore && !dropped && when === "after") {
      dropped = true;
      request.socket.destroy();
      return;
    }
    response.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" }).end(text);
  });
  await new Promise((done) => proxy.listen(0, "127.0.0.1", done));
  return { url: `http://127.0.0.1:${proxy.address().port}`, close: () => proxy.close() };
}

/** A session tracked twice ("one", then "two") through `client`: its directory and first snapshot. */
async function trackedTwice(client, session) {
  const dir = workspace(running.root, session, "one\n");
  const one = await client.track(session, { dir });
  writeFileSync(join(dir, "a.txt"), "two\n");
  await client.track(session);
  return { dir, one };
}

test("a restore lost before it ran is sent again and runs once", async () => {
  const proxy = await droppingProxy(running.baseUrl, "before");
  try {
    const client = new AgentSnapshotsClient({ baseUrl: proxy.url, apiKey: localKey });
    const { dir, one } = await trackedTwice(client, "ts-lost-before");
    const restored = await client.restore("ts-lost-before", one.hash);
    assert.equal(restored.to, one.hash);
    assert.equal(readFileSync(join(dir, "a.txt"), "utf8"), "one\n");
    assert.equal(safeties(await client.history("ts-lost-before")), 1);
  } finally {
    proxy.close();
  }
});

test("a restore lost after it ran is not sent again: the error names its safety snapshot", async () => {
  const proxy = await droppingProxy(running.baseUrl, "after");
  try {
    const client = new AgentSnapshotsClient({ baseUrl: proxy.url, apiKey: localKey });
    const { dir, one } = await trackedTwice(client, "ts-lost-after");
    await assert.rejects(client.restore("ts-lost-after", one.hash), (e) => {
      assert.ok(e instanceof SnapshotError, String(e));
      const history = e.message.match(/safety snapshot ([0-9a-f]{40})/);
      assert.ok(history, e.message);
      assert.match(e.message, /may have run in part/);
      return true;
    });
    const history = await client.history("ts-lost-after");
    assert.equal(safeties(history), 1, "restored once, not twice");
    assert.equal(readFileSync(join(dir, "a.txt"), "utf8"), "one\n");
  } finally {
    proxy.close();
  }
});
