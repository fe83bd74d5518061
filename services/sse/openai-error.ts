/**
 * Errors in the shape OpenAI's API answers with, {"error":{message,type,param,code}}: what an OpenAI
 * SDK turns into an APIError (as a response body) or throws from a stream (as an `event: error`).
 */

export function openAiErrorJson(message: string, type: string, code: string | null = null): string {
  return JSON.stringify({ error: { message, type, param: null, code } });
}

/** `data` when it already is an OpenAI error object ({"error":{…}}), else `data` wrapped as the message of one. */
export function asOpenAiError(data: string, type: string): string {
  try {
    const parsed: unknown = JSON.parse(data);
    if (typeof parsed === 'object' && parsed !== null && 'error' in parsed && typeof parsed.error === 'object' && parsed.error !== null)
      return JSON.stringify(parsed);
  } catch (err) {
    // Not JSON: the text itself is the message (below).
    if (!(err instanceof SyntaxError)) throw err;
  }
  return openAiErrorJson(data, type);
}
