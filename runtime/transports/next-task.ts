/**
 * Runs a task in a later macrotask, as a socket delivers what was sent: after what is already queued
 * and after pending I/O. Node has `setImmediate`; a browser has not, and there a MessageChannel message
 * does the same (a `setTimeout(0)` there is clamped to 4 ms once nested, as link ping-pong is).
 */
type Task = () => void;

interface Channel {
  readonly port1: { onmessage: (() => void) | null };
  readonly port2: { postMessage(message: undefined): void };
}

const host = globalThis as unknown as { setImmediate?: (task: Task) => unknown; MessageChannel?: new () => Channel };

/** One message per task, so each runs in its own macrotask, in the order queued. */
function overChannel(Channel: new () => Channel): (task: Task) => void {
  const queue: Task[] = [];
  let channel: Channel | undefined;
  return (task) => {
    if (!channel) {
      channel = new Channel();
      channel.port1.onmessage = () => queue.shift()?.();
    }
    queue.push(task);
    channel.port2.postMessage(undefined);
  };
}

const setImmediateOfHost = host.setImmediate;

export const nextTask: (task: Task) => void = setImmediateOfHost
  ? (task) => void setImmediateOfHost(task)
  : host.MessageChannel
    ? overChannel(host.MessageChannel)
    : (task) => void setTimeout(task, 0);
