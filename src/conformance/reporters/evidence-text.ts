import type { Exchange } from '../types.js';

const MAX_BODY = 600;

export function clip(text: string, max = MAX_BODY): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} bytes)`;
}

/** `POST /VolumeDriver.Get {"Name":"x"}` */
export function requestLine(ex: Exchange): string {
  const body = ex.request.body.trim();
  return `POST ${ex.request.path}${body === '' ? ' (empty body)' : ` ${clip(body)}`}`;
}

/** `200 {"Err":"..."}` or `no HTTP answer: …` */
export function responseLine(ex: Exchange): string {
  if (ex.transportError !== undefined) return `no HTTP answer: ${ex.transportError} (after ${ex.durationMs} ms)`;
  const text = (ex.text ?? '').trim();
  return `${ex.status}${text === '' ? ' (empty body)' : ` ${clip(text)}`} (${ex.durationMs} ms)`;
}

/** Plain data for YAML/JSON reporters. */
export function exchangeData(ex: Exchange): Record<string, unknown> {
  return {
    check: ex.checkId,
    request: requestLine(ex),
    response: responseLine(ex),
    ...(ex.contentType ? { contentType: ex.contentType } : {}),
  };
}
