import { CiError, CiInitiator, hexMuid, hexProfile, type CiDiscoveryReply } from '../../runtime/index.ts';
import { ExitCode, type SetExitCode } from '../exit.ts';
import { openLink, type ClientOptions } from './client.ts';
import { describeError } from './options.ts';
import { urlOption } from './urls.ts';

export interface CiOptions extends ClientOptions {
  to: string;
  wait: number;
  timeout: number;
}

/** A link with an initiator on it, the responders that answered its Discovery, and how to end it. */
async function discovered(opts: CiOptions): Promise<{ ci: CiInitiator; replies: CiDiscoveryReply[]; url: string; close: () => Promise<void> } | undefined> {
  const opened = await openLink(urlOption('--to', opts.to, 'connect'), opts);
  if (!opened) return undefined;
  const { link, url } = opened;
  const ci = new CiInitiator({ send: (w) => link.send(w) });
  link.onReceive((w) => ci.receive(w));
  const replies = await ci.discover(opts.wait);
  if (replies.length === 0) {
    process.stderr.write(`error: ${url}: no MIDI-CI responder answered a Discovery within ${opts.wait} ms (is it a midl peer started with --no-midi-ci?)\n`);
    await link.close();
    return undefined;
  }
  return { ci, replies, url, close: () => link.close() };
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** `midl ci discover`: one JSON line per responder. */
export async function runCiDiscover(opts: CiOptions, setExit: SetExitCode): Promise<void> {
  const d = await discovered(opts);
  if (!d) return setExit(ExitCode.Failure);
  let failed = false;
  try {
    for (const r of d.replies) {
      const line: Record<string, unknown> = {
        muid: hexMuid(r.source),
        identity: {
          manufacturer: hexProfile(r.manufacturer),
          family: r.family,
          model: r.model,
          softwareRevision: [...r.softwareRevision],
          categories: r.categories,
          maxSysExSize: r.maxSysExSize,
        },
      };
      try {
        const p = await d.ci.profiles(r.source, opts.timeout);
        line['profiles'] = { enabled: p.enabled.map(hexProfile), disabled: p.disabled.map(hexProfile) };
        const list = await d.ci.get(r.source, 'ResourceList', opts.timeout);
        if (list.header.status !== 200)
          throw new CiError('bad-field', `ResourceList: status ${String(list.header.status)} ${list.header.message ?? ''}`.trim());
        const entries = JSON.parse(text(list.body)) as unknown;
        line['resources'] = Array.isArray(entries) ? entries.map((e) => (e as { resource?: unknown }).resource).filter((n) => typeof n === 'string') : [];
      } catch (err) {
        failed = true;
        process.stderr.write(`error: ${d.url}: responder ${hexMuid(r.source)}: ${describeError(err)}\n`);
      }
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  } finally {
    await d.close();
  }
  setExit(failed ? ExitCode.Failure : ExitCode.Ok);
}

/** `midl ci get RESOURCE`: the resource's JSON from the first responder that answered. */
export async function runCiGet(resource: string, opts: CiOptions, setExit: SetExitCode): Promise<void> {
  const d = await discovered(opts);
  if (!d) return setExit(ExitCode.Failure);
  const muid = d.replies[0]!.source;
  try {
    const got = await d.ci.get(muid, resource, opts.timeout);
    if (got.header.status !== 200) {
      process.stderr.write(`error: ${d.url}: ${resource}: status ${String(got.header.status)}${got.header.message ? ` (${got.header.message})` : ''}\n`);
      return setExit(ExitCode.Failure);
    }
    process.stdout.write(`${JSON.stringify(JSON.parse(text(got.body)))}\n`);
    setExit(ExitCode.Ok);
  } catch (err) {
    process.stderr.write(`error: ${d.url}: ${resource} of ${hexMuid(muid)}: ${describeError(err)}\n`);
    setExit(ExitCode.Failure);
  } finally {
    await d.close();
  }
}
