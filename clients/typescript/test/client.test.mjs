// The client against a real silo process with one tenant: every operation, and failures as SnapshotError.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AgentSnapshotsClient, SnapshotError } from "../dist/index.js";
import { startSilo } from "./silo.mjs";

const key = randomBytes(32).toString("base64");
// A client given no key looks in $AGENTSNAPSHOTS_KEY and the local key file: neither the user's here.
delete process.env.AGENTSNAPSHOTS_KEY;
process.env.XDG_CONFIG_HOME = mkdtempSync(join(tmpdir(), "as-ts-config-"));
let silo;
let client;
let tenantRoot;
let workspaces = 0;

function workspace(files) {
  const dir = join(tenantRoot, `ws${++workspaces}`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function rejects(promise, status, code) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof SnapshotError, `expected a SnapshotError, got ${error}`);
    assert.equal(error.status, status, error.message);
    assert.equal(error.code, code, error.message);
    assert.ok(error.message.length > 0);
    return true;
  });
}

before(async () => {
  // The silo is given only the key's hash.
  silo = await startSilo({ tenants: { agents: createHash("sha256").update(key).digest("hex") } });
  tenantRoot = join(silo.root, "agents");
  client = new AgentSnapshotsClient({ baseUrl: silo.baseUrl, apiKey: key });
});

after(async () => {
  await silo?.stop();
});

describe("AgentSnapshotsClient", () => {
  test("tracks, lists, compares, reverts, restores, measures, collects and deletes", async () => {
    const dir = workspace({ "a.txt": "one\ntwo\n", "src/b.txt": "bee\n" });
    const first = await client.track("ts-ops", { dir, label: "first" });
    assert.match(first.hash, /^[0-9a-f]{40}$/);
    assert.equal(first.files, 2);
    assert.deepEqual(first.skipped, []);

    writeFileSync(join(dir, "a.txt"), "one\nTWO\nthree\n");
    writeFileSync(join(dir, "c.txt"), "sea\n");
    const second = await client.track("ts-ops");
    assert.notEqual(second.hash, first.hash);

    const history = await client.history("ts-ops");
    assert.equal(history.session, "ts-ops");
    assert.equal(history.workspace, dir);
    assert.deepEqual(history.snapshots.map((s) => s.hash), [first.hash, second.hash]);
    assert.equal(history.snapshots[0].label, "first");
    assert.ok("step" in history.snapshots[1]);

    const changes = await client.changes("ts-ops", first.hash);
    assert.deepEqual(changes.files, ["a.txt", "c.txt"]);

    const diff = await client.diff("ts-ops", first.hash, { to: second.hash });
    assert.equal(diff.fileCount, 2);
    const a = diff.files.find((f) => f.file === "a.txt");
    assert.deepEqual([a.status, a.additions, a.deletions, a.exact], ["modified", 2, 1, true]);
    assert.equal(diff.files.find((f) => f.file === "c.txt").status, "added");
    const now = await client.diff("ts-ops", first.hash);
    assert.equal(now.to, second.hash);

    const reverted = await client.revert("ts-ops", first.hash, ["a.txt"]);
    assert.deepEqual(reverted.written, ["a.txt"]);
    assert.equal(readFileSync(join(dir, "a.txt"), "utf8"), "one\ntwo\n");

    const restored = await client.restore("ts-ops", first.hash);
    assert.deepEqual(restored.deleted, ["c.txt"]);
    assert.ok(!existsSync(join(dir, "c.txt")));
    assert.match(restored.safety, /^[0-9a-f]{40}$/);

    const usage = await client.usage("ts-ops");
    assert.equal(usage.directory, dir);
    assert.ok(usage.objects > 0 && usage.bytes > 0);
    const gc = await client.gc("ts-ops");
    assert.equal(gc.workspace, usage.workspace);

    const deleted = await client.delete("ts-ops");
    assert.equal(deleted.session, "ts-ops");
    assert.equal((await client.history("ts-ops")).snapshots.length, 0);
  });

  test("pages changes with after", async () => {
    const files = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`f${i}.txt`, `${i}\n`]));
    const dir = workspace(files);
    const first = await client.track("ts-pages", { dir });
    for (const name of Object.keys(files)) appendFileSync(join(dir, name), "more\n");
    const all = await client.changes("ts-pages", first.hash);
    assert.equal(all.fileCount, 4);
    const rest = await client.changes("ts-pages", first.hash, { after: "f1.txt" });
    assert.deepEqual(rest.files, ["f2.txt", "f3.txt"]);
  });

  test("failures are SnapshotErrors with the service's status and code", async () => {
    const dir = workspace({ "a.txt": "a\n" });
    await rejects(client.diff("ts-never", "0".repeat(40)), 404, "unknownSession");
    await rejects(client.track("bad name!", { dir }), 400, "malformedId");
    await rejects(client.diff("ts-never", "HEAD"), 400, "malformedId");
    const tracked = await client.track("ts-errors", { dir });
    await rejects(client.changes("ts-errors", "1".repeat(40)), 404, "unknownSnapshot");
    await rejects(client.track("ts-errors", { dir: workspace({ "b.txt": "b\n" }) }), 409, "workspaceMismatch");
    await rejects(client.track("ts-outside", { dir: silo.root }), 403, "outsideWorkspaceRoots");
    // A remote workspace no agent serves: 503 to retry once one is connected.
    await rejects(client.track("ts-remote", { workspace: "nobody-serves-this" }), 503, "workspaceOffline");
    await rejects(client.revert("ts-errors", tracked.hash, ["../x"]), 400, "invalidPath");
    await rejects(client.revert("ts-errors", tracked.hash, []), 400, "invalidField");

    const keyless = new AgentSnapshotsClient({ baseUrl: silo.baseUrl });
    await rejects(keyless.history("ts-errors"), 401, "missingKey");
    const wrongKey = new AgentSnapshotsClient({ baseUrl: silo.baseUrl, apiKey: "not-the-key" });
    await rejects(wrongKey.history("ts-errors"), 401, "invalidKey");
    const nowhere = new AgentSnapshotsClient({ baseUrl: "http://127.0.0.1:9", retryTimeMs: 0 });
    await rejects(nowhere.history("ts-errors"), 0, "unreachable");
  });

  test("a call stops waiting when its signal aborts", async () => {
    const dir = workspace({ "a.txt": "a\n" });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(client.track("ts-abort", { dir, signal: controller.signal }), { name: "AbortError" });
    rmSync(dir, { recursive: true, force: true });
  });
});
