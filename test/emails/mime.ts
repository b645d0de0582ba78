/** A received message, decoded just enough for assertions: headers and the text and HTML parts. */
export interface ParsedMessage {
  headers: Record<string, string>;
  text?: string;
  html?: string;
  raw: string;
}

/** Parses RFC 5322 + MIME as nodemailer writes it: one level of multipart, 7bit/QP/base64 parts. */
export function parseMessage(raw: string): ParsedMessage {
  const { headers, body } = split(raw);
  const message: ParsedMessage = { headers, raw };
  for (const part of parts(headers, body)) {
    const type = (part.headers["content-type"] ?? "text/plain").toLowerCase();
    const content = decode(part.body, part.headers["content-transfer-encoding"]);
    if (type.startsWith("text/plain")) message.text = content;
    if (type.startsWith("text/html")) message.html = content;
  }
  return message;
}

function split(entity: string): { headers: Record<string, string>; body: string } {
  const end = entity.indexOf("\r\n\r\n");
  const head = end === -1 ? entity : entity.slice(0, end);
  const body = end === -1 ? "" : entity.slice(end + 4);
  const headers: Record<string, string> = {};
  // Unfold continuation lines, then one header per line.
  for (const line of head.replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function parts(headers: Record<string, string>, body: string) {
  const boundary = /boundary="?([^";]+)"?/i.exec(headers["content-type"] ?? "")?.[1];
  if (!boundary) return [{ headers, body }];
  return body
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((part) => split(part.replace(/^\r\n/, "").replace(/\r\n$/, "")));
}

function decode(body: string, encoding = "7bit"): string {
  switch (encoding.toLowerCase()) {
    case "quoted-printable":
      return Buffer.from(
        body
          .replace(/=\r\n/g, "")
          .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
        "latin1",
      ).toString("utf8");
    case "base64":
      return Buffer.from(body, "base64").toString("utf8");
    default:
      return body;
  }
}
