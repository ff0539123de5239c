import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Taskpulse, type TaskpulseProps } from './taskpulse';

export interface TaskpulseStackProps extends StackProps {
  /** Configuration of the Taskpulse construct. @default {} */
  readonly taskpulse?: TaskpulseProps;
}

/** The standalone deployment: one Taskpulse construct in its own stack. */
export class TaskpulseStack extends Stack {
  readonly taskpulse: Taskpulse;

  constructor(scope: Construct, id: string, props: TaskpulseStackProps = {}) {
    super(scope, id, props);
    this.taskpulse = new Taskpulse(this, 'Taskpulse', props.taskpulse);
  }
}
