/**
 * The AgentSnapshots plugin for OpenCode: when a prompt arrives (`chat.message`, labelled with its first line: the
 * state to go back to, to undo the turn), after every edit and shell command (`tool.execute.after`) and at the end of
 * each turn (the `session.idle` event), it snapshots the workspace into the session `opencode-<sessionID>` of an
 * AgentSnapshots silo, labelled with the tool and its file or command, or "turn end". Any step can then be seen
 * (`agentsnapshots history`, `diff`) and undone (`restore`, `revert`). It never throws into OpenCode: a problem (no
 * silo, a refused key) is one line on stderr, and the agent goes on.
 *
 * OpenCode calls every export of a plugin module as a plugin: this module exports the plugin alone.
 */
import type { Plugin, PluginOptions } from "@opencode-ai/plugin";
import { AgentSnapshotsClient } from "@agentsnapshots/client";
import { SNAPSHOT_TOOLS, promptLabel, sessionName, toolLabel } from "./labels.js";

/** The longest a snapshot is waited for before the agent goes on without it. */
const SNAPSHOT_TIMEOUT_MS = 50_000;

/**
 * Options (in opencode.json: `"plugin": [["@agentsnapshots/opencode-plugin", { "baseUrl": "..." }]]`): `baseUrl`
 * (default `$AGENTSNAPSHOTS_URL`, else http://127.0.0.1:5180), `apiKey` (default `$AGENTSNAPSHOTS_KEY`, else the local
 * key file), `keyFile`.
 */
export const AgentSnapshotsPlugin: Plugin = async ({ directory }, options?: PluginOptions) => {
  let client: AgentSnapshotsClient | undefined;
  try {
    client = new AgentSnapshotsClient(clientOptions(options));
  } catch (error) {
    report(`not snapshotting: ${message(error)}`);
  }

  async function snapshot(sessionID: string, label: string): Promise<void> {
    if (client === undefined) return;
    try {
      await client.track(sessionName(sessionID), { dir: directory, label, signal: AbortSignal.timeout(SNAPSHOT_TIMEOUT_MS) });
    } catch (error) {
      report(`no snapshot (${label}): ${message(error)}`);
    }
  }

  return {
    "chat.message": async (input, output) => {
      const text = output.parts.map((part) => (part.type === "text" ? part.text : "")).join("\n");
      await snapshot(input.sessionID, promptLabel(text));
    },
    "tool.execute.after": async (input) => {
      if (SNAPSHOT_TOOLS.has(input.tool)) {
        await snapshot(input.sessionID, toolLabel(input.tool, input.args, directory));
      }
    },
    event: async ({ event }) => {
      if (event.type === "session.idle") {
        await snapshot(event.properties.sessionID, "turn end");
      }
    },
  };
};

function clientOptions(options: PluginOptions | undefined): ConstructorParameters<typeof AgentSnapshotsClient>[0] {
  const given = (name: string): string | undefined => (typeof options?.[name] === "string" ? (options[name] as string) : undefined);
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const baseUrl = given("baseUrl") ?? (env?.AGENTSNAPSHOTS_URL || undefined);
  const apiKey = given("apiKey");
  const keyFile = given("keyFile");
  return { ...(baseUrl === undefined ? {} : { baseUrl }), ...(apiKey === undefined ? {} : { apiKey }), ...(keyFile === undefined ? {} : { keyFile }) };
}

function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0] ?? text;
}

function report(line: string): void {
  try {
    console.error(`agentsnapshots: ${line}`);
  } catch {
    // Nothing to report to: never throw into OpenCode.
  }
}
