import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** the event's type, from the body */
  type: string;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  received: Received[];
  /** the status to answer a delivery with (200 unless set) */
  answer: (delivery: Received) => number;
  /** deliveries of `type` received so far */
  of(type: string): Received[];
  close(): Promise<void>;
}

/** A real HTTP receiver on loopback that keeps every delivery it gets. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const receiver: WebhookReceiver = {
    url: '',
    received,
    answer: () => 200,
    of: (type) => received.filter((r) => r.type === type),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let type = '';
      try {
        type = (JSON.parse(body) as { type: string }).type;
      } catch {
        // not an event: kept with no type
      }
      const delivery = { headers: request.headers, body, type, at: Date.now() };
      received.push(delivery);
      response.writeHead(receiver.answer(delivery), { 'content-type': 'text/plain' });
      response.end('ok');
    });
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}
