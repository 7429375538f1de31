// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {eip712Digest} from "./Eip712.sol";
import {TestBase} from "./TestBase.sol";
import {ProviderRegistry} from "../ProviderRegistry.sol";
import {RecordRegistry} from "../RecordRegistry.sol";
import {MonitoringRegistry} from "../MonitoringRegistry.sol";
import {IMonitoringRegistry} from "../interfaces/IMonitoringRegistry.sol";

/**
 * @dev Shared state of the MonitoringRegistry Solidity tests: a record registry with two
 * registered patients (ALICE, BOB) and the monitoring registry on top of it. Device keys are
 * fuzzed secp256k1 private keys; the EIP-712 digest they sign is recomputed here from the
 * documented type and domain, not taken from the contract.
 */
abstract contract MonitoringRegistryFixture is TestBase {
    uint256 internal constant T0 = 1_700_000_000;
    /// @dev Order of the secp256k1 group: private keys are 1..N-1.
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);

    bytes32 internal constant BINDING_TYPEHASH = keccak256(
        "DeviceBinding(address patient,address device,uint8 role,uint40 deadline)"
    );

    ProviderRegistry internal providers;
    RecordRegistry internal registry;
    MonitoringRegistry internal monitoring;

    function setUp() public virtual {
        vm.warp(T0);
        providers = new ProviderRegistry(address(this), address(this));
        registry = new RecordRegistry(providers);
        monitoring = new MonitoringRegistry(registry);
        vm.prank(ALICE);
        registry.register(keccak256("alice x25519"));
        vm.prank(BOB);
        registry.register(keccak256("bob x25519"));
    }

    /// @dev The EIP-712 digest of a binding, from the standard's formula.
    function _digest(
        address patient,
        address device,
        IMonitoringRegistry.DeviceRole role,
        uint40 deadline
    ) internal view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(BINDING_TYPEHASH, patient, device, uint8(role), deadline));
        return eip712Digest("Meridian MonitoringRegistry", address(monitoring), structHash);
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _key(uint256 seed) internal pure returns (uint256) {
        return bound(seed, 1, SECP256K1_N - 1);
    }

    function _role(uint8 seed) internal pure returns (IMonitoringRegistry.DeviceRole) {
        return IMonitoringRegistry.DeviceRole(1 + (seed % 3));
    }

    function _expectInvalidSignature(address patient, address device) internal {
        vm.expectRevert(
            abi.encodeWithSelector(
                IMonitoringRegistry.MonitoringRegistryInvalidDeviceSignature.selector,
                patient,
                device
            )
        );
    }
}

/// @dev An ERC-1271 contract device that accepts the one digest it was told to.
contract ContractDevice {
    bytes32 private _accepted;

    function accept(bytes32 digest) external {
        _accepted = digest;
    }

    function isValidSignature(bytes32 hash, bytes calldata) external view returns (bytes4) {
        return hash == _accepted ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }
}

/// @notice Unit tests of device binding.
contract MonitoringRegistryTest is MonitoringRegistryFixture {
    function test_DeviceBindingDigest_IsTheEip712Digest() public view {
        address device = address(0xD1);
        assertEq(
            monitoring.deviceBindingDigest(ALICE, device, IMonitoringRegistry.DeviceRole.Edge, uint40(T0 + 1)),
            _digest(ALICE, device, IMonitoringRegistry.DeviceRole.Edge, uint40(T0 + 1)),
            "digest"
        );
        assertEq(monitoring.DEVICE_BINDING_TYPEHASH(), BINDING_TYPEHASH, "type hash");
    }

    function test_RegisterDevice_EmitsAndStores() public {
        uint256 key = 0xA1;
        address device = vm.addr(key);
        uint40 deadline = uint40(T0 + 60);
        bytes memory sig = _sign(key, _digest(ALICE, device, IMonitoringRegistry.DeviceRole.Sensor, deadline));
        vm.expectEmit(true, true, false, true, address(monitoring));
        emit IMonitoringRegistry.DeviceRegistered(ALICE, device, IMonitoringRegistry.DeviceRole.Sensor);
        vm.prank(ALICE);
        monitoring.registerDevice(device, IMonitoringRegistry.DeviceRole.Sensor, deadline, sig);
        IMonitoringRegistry.Device memory d = monitoring.getDevice(ALICE, device);
        assertEq(uint256(d.status), uint256(IMonitoringRegistry.DeviceStatus.Active), "status");
        assertEq(uint256(d.role), uint256(IMonitoringRegistry.DeviceRole.Sensor), "role");
        assertEq(d.registeredAt, T0, "registeredAt");
        assertEq(d.revokedAt, 0, "revokedAt");
    }

    /// @dev ECDSA signatures are malleable; OpenZeppelin's recovery refuses the high-s twin.
    function test_RegisterDevice_RefusesTheHighSTwinOfAValidSignature() public {
        uint256 key = 0xB2;
        address device = vm.addr(key);
        uint40 deadline = uint40(T0 + 60);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(
            key,
            _digest(ALICE, device, IMonitoringRegistry.DeviceRole.Fog, deadline)
        );
        bytes memory twin = abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        _expectInvalidSignature(ALICE, device);
        vm.prank(ALICE);
        monitoring.registerDevice(device, IMonitoringRegistry.DeviceRole.Fog, deadline, twin);
    }

    function test_RegisterDevice_ContractDeviceSignsWithErc1271() public {
        uint40 deadline = uint40(T0 + 60);
        ContractDevice device = new ContractDevice();
        device.accept(_digest(ALICE, address(device), IMonitoringRegistry.DeviceRole.Edge, deadline));
        _expectInvalidSignature(BOB, address(device)); // its binding is to alice
        vm.prank(BOB);
        monitoring.registerDevice(address(device), IMonitoringRegistry.DeviceRole.Edge, deadline, "");
        vm.prank(ALICE);
        monitoring.registerDevice(address(device), IMonitoringRegistry.DeviceRole.Edge, deadline, "");
        assertTrue(monitoring.isActiveDevice(ALICE, address(device), IMonitoringRegistry.DeviceRole.Edge), "active");
    }
}

/**
 * @notice Fuzz tests of device binding: with random keys, deadlines and roles, a device's own
 * signature of its binding to the caller is accepted, and a signature by another key, for
 * another patient, role, deadline or device, or past its deadline is always refused.
 */
contract MonitoringRegistryFuzzTest is MonitoringRegistryFixture {
    function testFuzz_RegisterDevice_AcceptsTheDevicesOwnSignature(
        uint256 keySeed,
        uint8 roleSeed,
        uint40 deadline,
        uint40 warpTo
    ) public {
        uint256 key = _key(keySeed);
        address device = vm.addr(key);
        IMonitoringRegistry.DeviceRole role = _role(roleSeed);
        warpTo = uint40(bound(warpTo, T0, type(uint40).max));
        deadline = uint40(bound(deadline, warpTo, type(uint40).max));
        vm.warp(warpTo);
        bytes memory sig = _sign(key, _digest(ALICE, device, role, deadline));
        vm.prank(ALICE);
        monitoring.registerDevice(device, role, deadline, sig);
        assertTrue(monitoring.isActiveDevice(ALICE, device, role), "active in its role");
        assertFalse(monitoring.isActiveDevice(BOB, device, role), "not bob's");
        assertEq(monitoring.getDevice(ALICE, device).registeredAt, warpTo, "registeredAt");
    }

    function testFuzz_RegisterDevice_RefusesAnotherKey(
        uint256 keySeed,
        uint256 otherSeed,
        uint8 roleSeed,
        uint40 deadline
    ) public {
        uint256 key = _key(keySeed);
        uint256 other = _key(otherSeed);
        vm.assume(key != other);
        address device = vm.addr(key);
        IMonitoringRegistry.DeviceRole role = _role(roleSeed);
        deadline = uint40(bound(deadline, T0, type(uint40).max));
        bytes memory sig = _sign(other, _digest(ALICE, device, role, deadline));
        _expectInvalidSignature(ALICE, device);
        vm.prank(ALICE);
        monitoring.registerDevice(device, role, deadline, sig);
        assertEq(uint256(monitoring.getDevice(ALICE, device).status), 0, "not registered");
    }

    function testFuzz_RegisterDevice_RefusesABindingToAnotherPatient(
        uint256 keySeed,
        address signedFor,
        uint8 roleSeed,
        uint40 deadline,
        bool bobSubmits
    ) public {
        address caller = bobSubmits ? BOB : ALICE;
        vm.assume(signedFor != caller);
        uint256 key = _key(keySeed);
        address device = vm.addr(key);
        IMonitoringRegistry.DeviceRole role = _role(roleSeed);
        deadline = uint40(bound(deadline, T0, type(uint40).max));
        bytes memory sig = _sign(key, _digest(signedFor, device, role, deadline));
        _expectInvalidSignature(caller, device);
        vm.prank(caller);
        monitoring.registerDevice(device, role, deadline, sig);
    }

    function testFuzz_RegisterDevice_RefusesAnotherRoleDeadlineOrDevice(
        uint256 keySeed,
        uint8 signedRoleSeed,
        uint8 roleSeed,
        uint40 signedDeadline,
        uint40 deadline,
        address otherDevice
    ) public {
        uint256 key = _key(keySeed);
        address device = vm.addr(key);
        IMonitoringRegistry.DeviceRole signedRole = _role(signedRoleSeed);
        IMonitoringRegistry.DeviceRole role = _role(roleSeed);
        signedDeadline = uint40(bound(signedDeadline, T0, type(uint40).max));
        deadline = uint40(bound(deadline, T0, type(uint40).max));
        bytes memory sig = _sign(key, _digest(ALICE, device, signedRole, signedDeadline));
        if (role != signedRole || deadline != signedDeadline) {
            _expectInvalidSignature(ALICE, device);
            vm.prank(ALICE);
            monitoring.registerDevice(device, role, deadline, sig);
        }
        // The same signature presented for another device address.
        vm.assume(otherDevice != device && otherDevice != address(0));
        _expectInvalidSignature(ALICE, otherDevice);
        vm.prank(ALICE);
        monitoring.registerDevice(otherDevice, signedRole, signedDeadline, sig);
    }

    function testFuzz_RegisterDevice_RefusesAnExpiredDeadline(
        uint256 keySeed,
        uint8 roleSeed,
        uint40 deadline,
        uint40 warpTo
    ) public {
        uint256 key = _key(keySeed);
        address device = vm.addr(key);
        IMonitoringRegistry.DeviceRole role = _role(roleSeed);
        warpTo = uint40(bound(warpTo, T0, type(uint40).max));
        deadline = uint40(bound(deadline, 0, warpTo - 1));
        vm.warp(warpTo);
        bytes memory sig = _sign(key, _digest(ALICE, device, role, deadline)); // a genuine signature
        vm.expectRevert(
            abi.encodeWithSelector(IMonitoringRegistry.MonitoringRegistrySignatureExpired.selector, deadline, warpTo)
        );
        vm.prank(ALICE);
        monitoring.registerDevice(device, role, deadline, sig);
    }

    /// @dev Whatever the key, once revoked a device stays refused for that patient, and another
    /// patient's registration of it is untouched.
    function testFuzz_RevokeDevice_IsFinal(uint256 keySeed, uint8 roleSeed, uint40 later) public {
        uint256 key = _key(keySeed);
        address device = vm.addr(key);
        IMonitoringRegistry.DeviceRole role = _role(roleSeed);
        uint40 deadline = type(uint40).max;
        bytes memory aliceSig = _sign(key, _digest(ALICE, device, role, deadline));
        bytes memory bobSig = _sign(key, _digest(BOB, device, role, deadline));
        vm.prank(ALICE);
        monitoring.registerDevice(device, role, deadline, aliceSig);
        vm.prank(BOB);
        monitoring.registerDevice(device, role, deadline, bobSig);
        vm.prank(ALICE);
        monitoring.revokeDevice(device);
        vm.warp(bound(later, T0, type(uint40).max - 1));
        vm.expectRevert(
            abi.encodeWithSelector(
                IMonitoringRegistry.MonitoringRegistryDeviceAlreadyRegistered.selector,
                ALICE,
                device,
                IMonitoringRegistry.DeviceStatus.Revoked
            )
        );
        vm.prank(ALICE);
        monitoring.registerDevice(device, role, deadline, aliceSig);
        assertFalse(monitoring.isActiveDevice(ALICE, device, role), "revoked for alice");
        assertTrue(monitoring.isActiveDevice(BOB, device, role), "still bob's");
    }
}
