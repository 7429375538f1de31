/**
 * Actions on `PeerValidation` (peer validation of diagnoses), in the style of `actions.ts`: each
 * takes a {@link MeridianContext} and its parameters, simulates before it writes, waits for the
 * receipt and returns the decoded outcome. Every failure is a {@link MeridianError}; contract
 * reverts are `ContractRevertedError`s in plain words (see `errors.ts`).
 *
 * The flow (docs/peer-validation.md):
 * 1. hospitals join the validator pool ({@link joinValidatorPool}), one account per institution;
 * 2. the patient signs its consent ({@link validationConsentTypedData}, {@link signValidationConsent});
 * 3. the record's author submits it ({@link submitForValidation}): this fixes the seed block;
 * 4. anyone draws the 4 validators once the chain is past the seed block ({@link drawValidators});
 * 5. the author shares the record's data key with them (`shareValidationKeys` in `validation.ts`);
 * 6. each validator reads the record (`readRecordAsValidator`) and votes ({@link castValidationVote});
 *    3 approvals validate it, 2 rejections reject it;
 * 7. a validator silent past its deadline is replaced by anyone ({@link replaceValidator}) and the
 *    seat drawn again.
 *
 * The actions are split by concern, all re-exported here: the pool, submission and draws in
 * `peer-validation-pool.ts`; key sharing, votes and case reads in `peer-validation-review.ts`;
 * the patient's consent in `peer-validation-consent.ts`; constants, codes and errors in
 * `peer-validation-common.ts`.
 *
 * @module
 */
export {
  VALIDATORS,
  APPROVALS,
  REJECTIONS,
  VOTE_PERIOD_SECONDS,
  DEFAULT_VALIDATION_CONSENT_SECONDS,
  ValidationStatus,
  validationStatusName,
  ValidationVote,
  PeerValidationMissingError,
  SeedNotReadyError,
  NotValidatorError,
  type ValidationStatusCode,
  type ValidationStatusName,
  type ValidationVoteCode,
} from "./peer-validation-common.ts";
export * from "./peer-validation-consent.ts";
export * from "./peer-validation-pool.ts";
export * from "./peer-validation-review.ts";
