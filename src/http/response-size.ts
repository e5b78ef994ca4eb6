import type { RequestHandler } from 'express';
import { ErrorCode } from '../graphql/errors.ts';
import { recordErrorCode } from './telemetry.ts';

const UNITS = { b: 1, kb: 1024, mb: 1024 * 1024 } as const;

/** A size like `512kb` or `16mb` (the format of MAX_BODY_SIZE and MAX_RESPONSE_SIZE) in bytes. */
export function sizeInBytes(size: string): number {
  const match = /^(\d+)(b|kb|mb)$/i.exec(size);
  if (!match) throw new Error(`not a size: ${size}`);
  return Number(match[1]) * UNITS[match[2]!.toLowerCase() as keyof typeof UNITS];
}

/**
 * The last line of the request cost model: a GraphQL answer larger than `maxBytes` (long texts
 * the cost model counts as one unit each) is not sent; the client gets HTTP 400 with
 * RESPONSE_TOO_LARGE and asks for fewer items or fields. Apollo sends complete answers with one
 * `res.send` of a string, which is where this looks.
 */
export function responseSizeCap(maxBytes: number, onRefused: (bytes: number) => void = () => undefined): RequestHandler {
  return (_req, res, next) => {
    const send = res.send.bind(res);
    res.send = (body?: unknown) => {
      // A UTF-8 string is at most 3 bytes per UTF-16 unit: most answers need no byte count.
      if (typeof body === 'string' && body.length * 3 > maxBytes) {
        const bytes = Buffer.byteLength(body);
        if (bytes > maxBytes) {
          onRefused(bytes);
          recordErrorCode(ErrorCode.RESPONSE_TOO_LARGE);
          res.status(400);
          return send(
            JSON.stringify({
              errors: [
                {
                  message: `The answer would be ${bytes} bytes; the most this service sends is ${maxBytes} (MAX_RESPONSE_SIZE). Ask for fewer items (first / limit) or fewer fields.`,
                  extensions: { code: ErrorCode.RESPONSE_TOO_LARGE, maxResponseBytes: maxBytes, responseBytes: bytes },
                },
              ],
            }),
          );
        }
      }
      return send(body);
    };
    next();
  };
}
