/**
 * URLs given to the CLI (`peer --listen`, `--to`, `--from`): checked through the transport registry
 * before anything runs, and described in help from what the registry holds. No scheme is named here,
 * so a transport registered in runtime/transports/index.ts works and shows in help without a CLI edit.
 */
import { TransportError, transports, type Transport, type UrlRole } from '../../runtime/transports/index.ts';
import type { Command } from 'commander';
import { UsageError } from '../exit.ts';

/** A URL given with an option, accepted by its transport for its role. */
export interface UrlOption {
  /** The option it came with (`--to`), for messages. */
  readonly flag: string;
  readonly url: string;
}

/** `raw` checked by its transport for `role` (no network activity), or a usage error naming the option. */
export function urlOption(flag: string, raw: string, role: UrlRole): UrlOption {
  try {
    transports.check(raw, role);
  } catch (err) {
    if (err instanceof TransportError) throw new UsageError(`${flag}: ${err.message}`);
    throw err;
  }
  return { flag, url: raw };
}

const able = (role: UrlRole): readonly Transport[] => transports.list().filter((t) => role === 'connect' || t.listen !== undefined);

/** The URL forms an option of `role` takes, for its one-line help: `udp://HOST:PORT or mdns:NAME[#PIID]`. */
export function urlForms(role: UrlRole): string {
  return able(role)
    .map((t) => t.syntax)
    .join(' or ');
}

/**
 * The registered schemes as a help section (commander's addHelpText, evaluated when help is shown),
 * one item per scheme with what it is, whether it only connects, and an example; wrapped as
 * commander wraps the options above it.
 */
export function schemesHelp(context: { readonly error: boolean; readonly command: Command }): string {
  const all = transports.list();
  if (all.length === 0) return '\nTransports: none registered';
  const help = context.command.createHelp();
  const output = context.command.configureOutput();
  help.prepareContext({ helpWidth: (context.error ? output.getErrHelpWidth?.() : output.getOutHelpWidth?.()) ?? 80 });
  const width = Math.max(...all.map((t) => t.syntax.length));
  const items = all.map((t) => help.formatItem(t.syntax, width, `${t.description}${t.listen === undefined ? ' (connect only)' : ''}; e.g. ${t.example}`, help));
  return `\nTransports (URLs of --listen, --to, --from):\n${items.join('\n')}`;
}
