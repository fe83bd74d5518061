/**
 * The same GPU exchange as gpu-loopback.ts, over Network MIDI 2.0 on 127.0.0.1: the host is a session
 * authority behind a UDP endpoint, the app invites it, opens a bus session (it gets only the
 * capabilities it asked for) and uses the generated client exactly as in process.
 * Run: npx tsx examples/programs/gpu-network.ts
 */
import { CapabilityMask, JobDispatch, createClient, intents, topics } from '../../generated/index.ts';
import { NetworkBus } from '../../runtime/index.ts';
import { Nm2Endpoint, connectNm2 } from '../../runtime/transports/index.ts';

const registry = { topics: Object.values(topics), intents: Object.values(intents) };

// The GPU host: a UDP endpoint (port 0 = any free port) whose sessions become bus sessions.
const endpoint = await Nm2Endpoint.listen({ host: '127.0.0.1', port: 0, name: 'gpu-host' });
const hostBus = new NetworkBus({ name: 'gpu-host', ...registry, capabilities: CapabilityMask.maskOf('gpu.host') });
endpoint.onSession((link) => hostBus.accept(link));
await createClient(hostBus).gpu.job.dispatch.serve((job) => ({ jobId: `job-${job.pipelineId}`, queuePosition: 0, resultTopic: 'gpu/job.result/1' })).ready;

// The app: invite the endpoint, open a session asking for gpu.dispatch only, then call.
const open = () => connectNm2(`udp://127.0.0.1:${endpoint.port}`, { name: 'planner' });
const appBus = new NetworkBus({ name: 'planner', ...registry, capabilities: CapabilityMask.maskOf('gpu.dispatch') });
await appBus.connect(await open(), { reconnect: open });
console.log(`session ${appBus.sessionId} granted ${CapabilityMask.describe(appBus.capabilities).join(', ')}`);

const job = { ...JobDispatch.example(), pipelineId: 'blur-3x3' };
const accepted = await createClient(appBus).gpu.job.dispatch.request(job, { timeoutMs: 2000 });
console.log(`accepted ${accepted.jobId} at queue position ${accepted.queuePosition} (exactly once, over UDP)`);

await appBus.close();
await hostBus.close();
await endpoint.close();
