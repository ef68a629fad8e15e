// Starts the real silo of this repository's build (src/Silo/bin/<Debug|Release>/net10.0/AgentSnapshots.Silo.dll,
// or $AGENTSNAPSHOTS_SILO_DLL) on free loopback ports, with its data and workspace roots in a temp directory.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export function siloDll() {
  const candidates = [
    process.env.AGENTSNAPSHOTS_SILO_DLL,
    join(repository, "src/Silo/bin/Debug/net10.0/AgentSnapshots.Silo.dll"),
    join(repository, "src/Silo/bin/Release/net10.0/AgentSnapshots.Silo.dll"),
  ].filter(Boolean);
  const found = candidates.find((path) => existsSync(path));
  if (!found) {
    throw new Error(`The silo is not built (looked for ${candidates.join(", ")}): run 'dotnet build Orleans.sln' at the repository root first.`);
  }
  return found;
}

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/**
 * @param {{ tenants?: Record<string, string>, localKey?: string, httpPort?: number }} options tenant name to the SHA-256 of its key (each
 *   tenant's root is `<root>/<name>`, under the silo's workspace root); without tenants, the local key to give the silo
 *   (Auth:LocalKey), else it generates its key file under `configHome` (its XDG_CONFIG_HOME, a temporary directory).
 * @returns {Promise<{ baseUrl: string, root: string, configHome: string, stop: () => Promise<void> }>}
 */
export { freePort };

export async function startSilo(options = {}) {
  const temp = mkdtempSync(join(tmpdir(), "as-ts-"));
  const root = join(temp, "work");
  mkdirSync(root, { recursive: true });
  const [http, siloPort, gateway] = [options.httpPort ?? (await freePort()), await freePort(), await freePort()];
  const env = {
    ...process.env,
    DOTNET_NOLOGO: "1",
    Snapshots__DataDir: join(temp, "data"),
    Snapshots__WorkspaceRoots__0: root,
    Http__Port: String(http),
    Orleans__SiloPort: String(siloPort),
    Orleans__GatewayPort: String(gateway),
    // Never the user's own key file.
    XDG_CONFIG_HOME: join(temp, "config"),
  };
  delete env.Auth__LocalKey;
  if (options.localKey !== undefined) env.Auth__LocalKey = options.localKey;
  for (const [name, keySha256] of Object.entries(options.tenants ?? {})) {
    mkdirSync(join(root, name));
    env[`Auth__Tenants__${name}__KeySha256`] = keySha256;
    env[`Auth__Tenants__${name}__WorkspaceRoots__0`] = join(root, name);
  }
  const child = spawn("dotnet", [siloDll()], { cwd: temp, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise((done) => child.on("exit", (code) => done(code)));

  const baseUrl = `http://127.0.0.1:${http}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The silo exited (${child.exitCode}) before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`The silo was not ready within 90 s:\n${output}`);
    }
    try {
      const ready = await fetch(`${baseUrl}/health/ready`);
      if (ready.ok) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((done) => setTimeout(done, 200));
  }

  return {
    baseUrl,
    root,
    configHome: join(temp, "config"),
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(temp, { recursive: true, force: true });
    },
  };
}
