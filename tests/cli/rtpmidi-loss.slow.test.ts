import { describeRtpMidiSendLoss } from '../helpers/rtpmidi-send-loss.ts';

// The bar: 10,000 at-least-once messages by `midl send --to rtpmidi://…` through 5 % loss.
describeRtpMidiSendLoss(0.05, 20261207);
