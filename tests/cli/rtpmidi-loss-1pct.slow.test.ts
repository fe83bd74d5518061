import { describeRtpMidiSendLoss } from '../helpers/rtpmidi-send-loss.ts';

// The second loss rate (tests/cli/rtpmidi-loss.slow.test.ts has 5 %).
describeRtpMidiSendLoss(0.01, 20261208);
