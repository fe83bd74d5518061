/**
 * `--metrics HOST:PORT` of an operator command: a Prometheus registry holding the bus's metrics, served
 * at http://HOST:PORT/metrics once `listen` is called; the command registers its own metrics (the Flex
 * bridge's, an SSE ingress's) in `registry` too.
 */
import type { NetworkBus } from '../../runtime/index.ts';
import { MetricsRegistry, busMetrics, serveMetrics, type MetricsServer } from '../../services/index.ts';
import { UsageError } from '../exit.ts';
import { describeError } from './options.ts';
import { hostPort } from './run-mcp.ts';

export interface MetricsEndpoint {
  /** Where the command's own metrics go; the bus's are in it already. */
  readonly registry: MetricsRegistry;
  /** Binds the address and says where on stderr; a usage error when it cannot. */
  listen(): Promise<void>;
  close(): Promise<void>;
}

/** The endpoint `--metrics` asks for, or undefined without the flag (the address is checked now). */
export function metricsEndpoint(flag: string | undefined, bus: NetworkBus, warn: (error: unknown, where: string) => void): MetricsEndpoint | undefined {
  if (flag === undefined) return undefined;
  const at = hostPort(flag, '--metrics');
  const registry = new MetricsRegistry();
  busMetrics(registry, bus);
  let server: MetricsServer | undefined;
  return {
    registry,
    async listen() {
      server = await serveMetrics(registry, { ...at, onError: (error) => warn(error, 'metrics') }).catch((err: unknown) => {
        throw new UsageError(`--metrics ${flag}: cannot listen: ${describeError(err)}`);
      });
      process.stderr.write(`metrics: serving ${server.url}\n`);
    },
    close: () => server?.close() ?? Promise.resolve(),
  };
}
