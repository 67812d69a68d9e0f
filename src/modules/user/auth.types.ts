import { Field, ObjectType } from 'type-graphql';
import { ApiKey } from '../api-key/api-key.entity';
import { ActorType } from '../audit/audit-event.entity';
import { User } from './user.entity';

@ObjectType({ description: 'A new session: send the token as Authorization: Bearer <token>.' })
export class AuthPayload {
  @Field({ description: 'Bearer token of the session; shown once, stored only as a digest.' })
  token!: string;

  @Field({ description: 'When the session ends (UTC); sign in again after it.' })
  expiresAt!: Date;

  @Field(() => User, { description: 'The signed-in user.' })
  user!: User;
}

@ObjectType({ description: 'Who is calling: a user, an API key, or nobody.' })
export class Viewer {
  @Field(() => ActorType, {
    description:
      'ANONYMOUS without credentials, USER with a session, API_KEY with key credentials.',
  })
  type!: ActorType;

  @Field(() => User, { nullable: true, description: 'The signed-in user, when type is USER.' })
  user!: User | null;

  @Field(() => ApiKey, {
    nullable: true,
    description: 'The key the request authenticated with, when type is API_KEY.',
  })
  apiKey!: ApiKey | null;
}
