/**
 * Two peers on an in-process bus, using the clients generated from idl/: a GPU host serves
 * gpu/job.dispatch, an app dispatches a job and gets a typed reply. Run: npx tsx examples/programs/gpu-loopback.ts
 */
import { CapabilityMask, JobDispatch, createClient } from '../../generated/index.ts';
import { LoopbackHub } from '../../runtime/index.ts';

const hub = new LoopbackHub();
// Each peer holds a capability mask; topics check it on publish and subscribe.
const hostBus = hub.connect({ capabilities: CapabilityMask.maskOf('gpu.host') });
const appBus = hub.connect({ capabilities: CapabilityMask.maskOf('gpu.dispatch') });
const host = createClient(hostBus);
const app = createClient(appBus);

host.gpu.job.dispatch.serve((job) => ({
  jobId: `job-${job.pipelineId}`,
  queuePosition: 0,
  resultTopic: 'gpu/job.result/1',
}));

const job = { ...JobDispatch.example(), pipelineId: 'blur-3x3' };
const accepted = await app.gpu.job.dispatch.request(job, { timeoutMs: 1000 });
console.log(`accepted ${accepted.jobId} at queue position ${accepted.queuePosition}`);
console.log(`the request travelled as ${JobDispatch.encode(job).length} bytes of payload`);
await Promise.all([hostBus.close(), appBus.close()]);
