// Without tenants the silo requires its local key: the client finds it where the silo keeps it, or in the environment.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
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
