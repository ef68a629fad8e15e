// Without tenants the silo requires its local key: the client finds it where the silo keeps it, or in the environment.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { AgentSnapshotsClient, SnapshotError } from "../dist/index.js";
import { startSilo } from "./silo.mjs";

let silo;

before(async () => {
  delete process.env.AGENTSNAPSHOTS_KEY;
  silo = await startSilo();
});

after(async () => {
  await silo?.stop();
});

test("a client given no key reads the key file the silo generated, or $AGENTSNAPSHOTS_KEY first", async () => {
  const file = join(silo.configHome, "agentsnapshots", "local.key");
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(silo.configHome, "agentsnapshots")).mode & 0o777, 0o700);
  const dir = join(silo.root, "ws");
  mkdirSync(dir);
  writeFileSync(join(dir, "a.txt"), "a\n");

  process.env.XDG_CONFIG_HOME = silo.configHome;
  const fromFile = new AgentSnapshotsClient({ baseUrl: silo.baseUrl });
  const tracked = await fromFile.track("ts-local", { dir });
  assert.match(tracked.hash, /^[0-9a-f]{40}$/);

  const explicit = new AgentSnapshotsClient({ baseUrl: silo.baseUrl, keyFile: file, apiKey: undefined });
  assert.equal((await explicit.history("ts-local")).snapshots.length, 1);

  process.env.AGENTSNAPSHOTS_KEY = "not-the-local-key-at-all";
  try {
    const fromEnvironment = new AgentSnapshotsClient({ baseUrl: silo.baseUrl });
    await assert.rejects(fromEnvironment.history("ts-local"), (e) => e instanceof SnapshotError && e.status === 401 && e.code === "invalidKey");
    process.env.AGENTSNAPSHOTS_KEY = readFileSync(file, "utf8").trim();
    assert.equal((await new AgentSnapshotsClient({ baseUrl: silo.baseUrl }).history("ts-local")).snapshots.length, 1);
  } finally {
    delete process.env.AGENTSNAPSHOTS_KEY;
  }

  const nowhere = new AgentSnapshotsClient({ baseUrl: silo.baseUrl, keyFile: join(silo.configHome, "none.key") });
  await assert.rejects(nowhere.history("ts-local"), (e) => e instanceof SnapshotError && e.status === 401 && e.code === "missingKey");
});

test("the local key file goes only to a service on this machine: elsewhere the client needs a key given to it", async () => {
  const file = join(silo.configHome, "agentsnapshots", "local.key");
  const key = readFileSync(file, "utf8").trim();
  process.env.XDG_CONFIG_HOME = silo.configHome;
  const calls = [];
  const recordingFetch = (...args) => {
    calls.push(args);
    return globalThis.fetch(...args);
  };
  for (const baseUrl of ["http://example.invalid:5180", "https://10.0.0.1", "http://localhost.example.com:5180", "http://128.0.0.1"]) {
    assert.throws(
      () => new AgentSnapshotsClient({ baseUrl, fetch: recordingFetch }),
      (e) => e.message === `No key for ${baseUrl}: the local key file is sent only to a service on this machine (localhost, 127.0.0.0/8, ::1); for a remote service pass apiKey (or keyFile) or set $AGENTSNAPSHOTS_KEY.`,
    );
  }
  assert.equal(calls.length, 0);

  // Given a key (or a key file), any address is the caller's choice; on this machine, the local key file is used.
  assert.ok(new AgentSnapshotsClient({ baseUrl: "http://example.invalid:5180", apiKey: key, fetch: recordingFetch }));
  assert.ok(new AgentSnapshotsClient({ baseUrl: "http://example.invalid:5180", keyFile: file, fetch: recordingFetch }));
  const port = new URL(silo.baseUrl).port;
  const local = new AgentSnapshotsClient({ baseUrl: `http://localhost:${port}`, fetch: recordingFetch });
  assert.equal((await local.history("ts-elsewhere")).snapshots.length, 0);
  assert.equal(calls.length, 1);
});

test("a redirect is an error, so the key is never sent to the address it points at", async () => {
  const key = readFileSync(join(silo.configHome, "agentsnapshots", "local.key"), "utf8").trim();
  const reached = [];
  const target = createServer((request, response) => {
    reached.push(request.headers.authorization);
    response.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  await new Promise((done) => target.listen(0, "127.0.0.1", done));
  const redirector = createServer((request, response) => {
    response.writeHead(307, { location: `http://127.0.0.1:${target.address().port}${request.url}` }).end();
  });
  await new Promise((done) => redirector.listen(0, "127.0.0.1", done));
  try {
    const client = new AgentSnapshotsClient({ baseUrl: `http://127.0.0.1:${redirector.address().port}`, apiKey: key });
    await assert.rejects(client.history("ts-redirect"), (e) => e instanceof SnapshotError && e.code === "unreachable");
    assert.deepEqual(reached, []);
  } finally {
    redirector.close();
    target.close();
  }
});
