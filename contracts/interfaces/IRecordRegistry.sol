// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IProviderRegistry} from "./IProviderRegistry.sol";
import {IRecordAnchors} from "./IRecordAnchors.sol";
import {IRecordGrants} from "./IRecordGrants.sol";
import {IAccessRequests} from "./IAccessRequests.sol";
import {IConsentCodes} from "./IConsentCodes.sol";
import {IGuardians} from "./IGuardians.sol";
import {IEmergencyAccess} from "./IEmergencyAccess.sol";

/**
 * @title IRecordRegistry
 * @notice Patients, their encrypted medical records and who may read them. Composed, as Uniswap
 * v4-core composes `IPoolManager`, from one interface per concern: {IRecordAnchors} (patients,
 * records and their hash chains), {IRecordGrants} (grants and key epochs), {IAccessRequests},
 * {IConsentCodes}, {IGuardians} and {IEmergencyAccess}; each holds its own types, events, errors
 * and documentation. One contract implements them all ({RecordRegistry}).
 *
 * No record content and no key in the clear is stored or logged: only addresses, hashes, CIDs,
 * timestamps, codes and keys wrapped with HPKE (RFC 9180) to a grantee's public key. That
 * metadata is public: who is a patient, which provider wrote a record of which category and when,
 * who holds which grant until when, purpose and emergency reason codes and guardians (docs/keys.md
 * section 5 lists all of it).
 *
 * Every change emits an event; together they are the patient's audit trail.
 * No function loops over patients, records or grants.
 *
 * Grant and request ids, the genesis head and the consent codes' EIP-712 digest are documented
 * formulas ({IRecordGrants-Grant}, {IAccessRequests-AccessRequest}, {IRecordAnchors-Patient},
 * {IConsentCodes-ConsentCode}) that clients compute themselves (the SDK does); only
 * {IRecordAnchors-computeRecordId}, which other contracts call, is a function.
 * @dev The design documents call this contract "Main".
 */
interface IRecordRegistry is
    IRecordAnchors,
    IRecordGrants,
    IAccessRequests,
    IConsentCodes,
    IGuardians,
    IEmergencyAccess
{
    /**
     * @notice Whether `reader` may read record `recordId` now, and why it may: the patient always;
     * a guardian of the patient (either level); an active provider with an active grant over the
     * record, its category or all records; an active provider with open emergency access, for the
     * patient's emergency summary only; a chosen validator of the record ({peerValidation}).
     * Nobody else, and never the regulator as such.
     */
    function canRead(address reader, bytes32 recordId) external view returns (bool);

    /// @notice The peer-validation contract this registry deployed in its constructor; its chosen
    /// validators pass {canRead} for the record they validate.
    function peerValidation() external view returns (address);

    /// @notice The provider registry this contract consults for provider status.
    function providerRegistry() external view returns (IProviderRegistry);
}
