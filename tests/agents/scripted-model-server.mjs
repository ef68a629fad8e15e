// A scripted model server for the agent tests: it answers the Anthropic Messages API (POST /v1/messages, streamed as
// SSE or not) and OpenAI-compatible chat completions (POST /v1/chat/completions, streamed or not) with a fixed script
// of tool calls, one per model turn, then a closing text. The step handed out is the number of tool results the agent
// has sent back so far, so retries and side requests never advance it. Requests that offer none of the script's tools
// (titles, summaries) get a short text.
//
// Before it answers a turn of the script, it records git's tree of the workspace at that moment (git add -A &&
// git write-tree in a scratch git dir): turn N sees the workspace after tool call N-1 and its hooks have finished,
// so the test can compare every snapshot the hooks took with git.
//
// Usage: node scripted-model-server.mjs --script SCRIPT.json --workspace DIR --record RECORD.jsonl
//   SCRIPT.json: {"steps": [{"tool": "Write", "input": {...}}, ...], "finish": "text"}
// Prints "listening PORT" on stdout once it accepts connections.
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []));
for (const required of ["script", "workspace", "record"]) {
  if (!args[required]) {
    console.error(`scripted-model-server: --${required} is required`);
    process.exit(2);
  }
}
const script = JSON.parse(readFileSync(args.script, "utf8"));
const toolNames = new Set(script.steps.map((s) => s.tool));

function gitTree(directory) {
  const gitDir = mkdtempSync(join(tmpdir(), "scripted-git-"));
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: gitDir };
  try {
    execFileSync("git", ["init", "-q", "--bare", gitDir], { env });
    execFileSync("git", ["--git-dir", gitDir, "--work-tree", directory, "add", "-A"], { env });
    return execFileSync("git", ["--git-dir", gitDir, "write-tree"], { env, encoding: "utf8" }).trim();
  } finally {
    rmSync(gitDir, { recursive: true, force: true });
  }
}

/** The script's next turn for a conversation that has sent back `results` tool results: records the tree first. */
function turn(api, results) {
  const tree = gitTree(args.workspace);
  appendFileSync(args.record, JSON.stringify({ api, results, tree }) + "\n");
  return results < script.steps.length ? { step: script.steps[results], id: `call_${results}` } : { text: script.finish ?? "Done." };
}

function offersScriptTools(tools, nameOf) {
  return Array.isArray(tools) && tools.some((t) => toolNames.has(nameOf(t)));
}

// --- Anthropic Messages API ---
function anthropic(body, res) {
  const scripted = offersScriptTools(body.tools, (t) => t.name);
  const results = (body.messages ?? []).flatMap((m) => (Array.isArray(m.content) ? m.content : [])).filter((c) => c.type === "tool_result").length;
  const next = scripted ? turn("anthropic", results) : { text: "Scripted reply." };
  const content = next.step
    ? [{ type: "tool_use", id: next.id, name: next.step.tool, input: next.step.input }]
    : [{ type: "text", text: next.text }];
  const stopReason = next.step ? "tool_use" : "end_turn";
  const message = { id: `msg_${Date.now()}`, type: "message", role: "assistant", model: body.model ?? "scripted", content, stop_reason: stopReason, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 10 } };
  if (!body.stream) {
    return json(res, 200, message);
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const send = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send("message_start", { message: { ...message, content: [], stop_reason: null, usage: { input_tokens: 10, output_tokens: 1 } } });
  content.forEach((block, index) => {
    if (block.type === "tool_use") {
      send("content_block_start", { index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } });
      send("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) } });
    } else {
      send("content_block_start", { index, content_block: { type: "text", text: "" } });
      send("content_block_delta", { index, delta: { type: "text_delta", text: block.text } });
    }
    send("content_block_stop", { index });
  });
  send("message_delta", { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 10 } });
  send("message_stop", {});
  res.end();
}

// --- OpenAI-compatible chat completions ---
function openai(body, res) {
  const scripted = offersScriptTools(body.tools, (t) => t.function?.name);
  const results = (body.messages ?? []).filter((m) => m.role === "tool").length;
  const next = scripted ? turn("openai", results) : { text: "Scripted reply." };
  const id = `chatcmpl-${Date.now()}`;
  const created = Math.floor(Date.now() / 1000);
  const model = body.model ?? "scripted";
  const toolCalls = next.step ? [{ index: 0, id: next.id, type: "function", function: { name: next.step.tool, arguments: JSON.stringify(next.step.input) } }] : undefined;
  const finish = next.step ? "tool_calls" : "stop";
  const usage = { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 };
  if (!body.stream) {
    const message = next.step ? { role: "assistant", content: null, tool_calls: toolCalls.map(({ index, ...call }) => call) } : { role: "assistant", content: next.text };
    return json(res, 200, { id, object: "chat.completion", created, model, choices: [{ index: 0, message, finish_reason: finish }], usage });
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const chunk = (delta, finishReason, extra = {}) =>
    res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra })}\n\n`);
  chunk({ role: "assistant", content: "" }, null);
  if (next.step) {
    chunk({ tool_calls: toolCalls }, null);
  } else {
    chunk({ content: next.text }, null);
  }
  chunk({}, finish, { usage });
  res.write("data: [DONE]\n\n");
  res.end();
}

function json(res, status, value) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

const server = createServer((req, res) => {
  let raw = "";
  req.on("data", (chunk) => (raw += chunk));
  req.on("end", () => {
    const path = new URL(req.url, "http://localhost").pathname;
    appendFileSync(args.record + ".requests", `${req.method} ${path}\n`);
    let body = {};
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      return json(res, 400, { error: { type: "invalid_request_error", message: "body is not JSON" } });
    }
    try {
      if (req.method === "POST" && path.endsWith("/messages/count_tokens")) return json(res, 200, { input_tokens: 10 });
      if (req.method === "POST" && path.endsWith("/messages")) return anthropic(body, res);
      if (req.method === "POST" && path.endsWith("/chat/completions")) return openai(body, res);
      return json(res, 404, { error: { type: "not_found_error", message: `no such path: ${path}` } });
    } catch (error) {
      console.error(`scripted-model-server: ${error}`);
      return json(res, 500, { error: { type: "api_error", message: String(error) } });
    }
  });
});
server.listen(0, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
