// The Linux-side peer of the Wine suite (plain Linux Node, outside Wine): an echo server, an HTTP
// server, and POST /connect { port, data } that connects back to a server inside Wine, sends data
// and answers { received, closedWithoutData }. Prints its ports as one JSON line, then runs until
// it is killed (scripts/wine-test.sh does).
import * as http from 'node:http';
import * as net from 'node:net';

const echo = net.createServer((socket) => {
  socket.on('error', () => {});
  socket.pipe(socket);
});

function connectBack(port, data) {
  return new Promise((resolve) => {
    const chunks = [];
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on('connect', () => socket.write(data));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      socket.end();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const received = Buffer.concat(chunks).toString();
      resolve({ received, closedWithoutData: received.length === 0 });
    });
  });
}

const web = http.createServer(async (req, res) => {
  if (req.method === 'POST' && req.url === '/connect') {
    let body = '';
    for await (const chunk of req) body += chunk;
    const { port, data } = JSON.parse(body);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(await connectBack(port, data)));
    return;
  }
  res.end(`hello from linux ${req.url}`);
});

echo.listen(0, '127.0.0.1', () => {
  web.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ echo: echo.address().port, http: web.address().port })}\n`);
  });
});

const stop = () => {
  echo.close();
  web.close();
  web.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
