/** The longest label written: a command's first line is cut there, with "…". */
export const MAX_LABEL_LENGTH = 100;

/** The tools whose calls change files: edits and shell commands. Other tools (read, grep, …) are not snapshotted. */
export const SNAPSHOT_TOOLS: ReadonlySet<string> = new Set(["write", "edit", "multiedit", "patch", "apply_patch", "bash"]);

/** The AgentSnapshots session of an OpenCode session. */
export function sessionName(sessionID: string): string {
  return `opencode-${sessionID}`;
}

/**
 * A tool call's label: the tool and the file it wrote ("edit src/app.ts", relative to the workspace when inside it),
 * or the command it ran ("bash npm test"), or the tool's name alone.
 */
export function toolLabel(tool: string, args: unknown, directory: string): string {
  const record = args !== null && typeof args === "object" ? (args as Record<string, unknown>) : {};
  const path = [record.filePath, record.file_path, record.path].find((v): v is string => typeof v === "string" && v.length > 0);
  if (path !== undefined) {
    const prefix = directory.endsWith("/") ? directory : `${directory}/`;
    return bounded(`${tool} ${path.startsWith(prefix) ? path.slice(prefix.length) : path}`);
  }
  if (typeof record.command === "string") {
    const line = firstLine(record.command);
    if (line !== undefined) return bounded(`${tool} ${line}`);
  }
  return tool;
}

/** A prompt's label: its first non-empty line, or "prompt". */
export function promptLabel(prompt: string): string {
  const line = firstLine(prompt);
  return line === undefined ? "prompt" : bounded(line);
}

function firstLine(text: string): string | undefined {
  return text.split("\n").map((l) => l.trim()).find((l) => l.length > 0);
}

function bounded(text: string): string {
  return text.length <= MAX_LABEL_LENGTH ? text : `${text.slice(0, MAX_LABEL_LENGTH - 1).trimEnd()}…`;
}
