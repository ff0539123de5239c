import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PageBundle } from './build-page';
import type { LayoutView, RefreshView } from './view';

/**
 * The page's HTTP server, on loopback only: the HTML shell, the bundle, the layout and the data of each
 * refresh. Nothing is writable through it.
 */

/** What the server serves. */
export interface DashboardServerOptions {
  readonly page: PageBundle;
  readonly layout: LayoutView;
  /** Data of one refresh, read when the page asks. */
  readonly readData: () => Promise<RefreshView>;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Receives a line when a data read fails. @default ignore */
  readonly log?: (line: string) => void;
}

/** A running page server. */
export interface DashboardServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  close(): Promise<void>;
}

const html = (title: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title.replace(/[<&>]/g, '')}</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/app.css"></head>
<body><div id="app"></div><script src="/app.js"></script></body></html>`;

/** Start serving on 127.0.0.1. */
export const startDashboardServer = async (options: DashboardServerOptions): Promise<DashboardServer> => {
  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, {
      'content-type': type,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'method not allowed');
    switch (url.pathname) {
      case '/':
        return send(res, 200, 'text/html; charset=utf-8', html(options.layout.title));
      case '/app.js':
        return send(res, 200, 'text/javascript; charset=utf-8', options.page.js);
      case '/app.css':
        return send(res, 200, 'text/css; charset=utf-8', options.page.css);
      case '/api/layout':
        return send(res, 200, 'application/json', JSON.stringify(options.layout));
      case '/api/data':
        try {
          return send(res, 200, 'application/json', JSON.stringify(await options.readData()));
        } catch (error) {
          options.log?.(`dashboard data: ${(error as Error).message}`);
          return send(res, 503, 'application/json', JSON.stringify({ error: (error as Error).message }));
        }
      default:
        return send(res, 404, 'text/plain', 'not found');
    }
  };
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
