// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TestBase} from "./TestBase.sol";
import {ProviderRegistry} from "../ProviderRegistry.sol";
import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";

/**
 * @dev ProviderRegistry's node endpoints and enumeration: an active provider publishes, replaces
 * and clears the base URLs of its Meridian node; admission appends each provider once, so
 * `providerAt` lists every provider without event logs. This contract is the regulator and admin.
 */
contract ProviderRegistryNodesTest is TestBase {
    address internal constant HOSPITAL = address(0x4051);
    address internal constant LAB = address(0x1AB);
    address internal constant OUTSIDER = address(0xBAD);

    ProviderRegistry internal providers;

    function setUp() public {
        providers = new ProviderRegistry(address(this), address(this));
        providers.admit(HOSPITAL, IProviderRegistry.ProviderKind.Hospital, "St Mary's", "");
    }

    function _list(string memory a, string memory b) internal pure returns (string[] memory out) {
        out = new string[](2);
        out[0] = a;
        out[1] = b;
    }

    function test_setNodeEndpoints_publishesReplacesAndClears() public {
        string[] memory urls = _list("https://ipfs.st-mary.example", "http://10.0.0.7:8080");
        vm.expectEmit(true, false, false, true, address(providers));
        emit IProviderRegistry.ProviderNodeEndpointsSet(HOSPITAL, urls);
        vm.prank(HOSPITAL);
        providers.setNodeEndpoints(urls);
        string[] memory read = providers.getNodeEndpoints(HOSPITAL);
        assertEq(read.length, 2, "endpoints");
        assertEq(keccak256(bytes(read[1])), keccak256("http://10.0.0.7:8080"), "second endpoint");

        string[] memory one = new string[](1);
        one[0] = "https://b.example";
        vm.prank(HOSPITAL);
        providers.setNodeEndpoints(one);
        read = providers.getNodeEndpoints(HOSPITAL);
        assertEq(read.length, 1, "replaced, not appended");
        assertEq(keccak256(bytes(read[0])), keccak256("https://b.example"), "replacement");

        vm.prank(HOSPITAL);
        providers.setNodeEndpoints(new string[](0));
        assertEq(providers.getNodeEndpoints(HOSPITAL).length, 0, "cleared");
    }

    function test_setNodeEndpoints_refusesMoreThanFour() public {
        string[] memory urls = new string[](5);
        for (uint256 i; i < 5; ++i) urls[i] = "https://n.example";
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryTooManyNodeEndpoints.selector, 5, 4));
        vm.prank(HOSPITAL);
        providers.setNodeEndpoints(urls);
    }

    function test_setNodeEndpoints_refusesNonHttpAndOverlongUrls() public {
        string[5] memory bad = ["ftp://x.example", "http://", "https://", "/ip4/10.0.0.1/tcp/4001", "HTTP://X"];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryInvalidNodeEndpoint.selector, 1));
            vm.prank(HOSPITAL);
            providers.setNodeEndpoints(_list("https://ok.example", bad[i]));
        }
        bytes memory long = new bytes(257);
        bytes memory prefix = "https://";
        for (uint256 i; i < long.length; ++i) long[i] = i < prefix.length ? prefix[i] : bytes1("a");
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryInvalidNodeEndpoint.selector, 0));
        vm.prank(HOSPITAL);
        providers.setNodeEndpoints(_list(string(long), "https://ok.example"));
    }

    function test_setNodeEndpoints_onlyAnActiveProvider() public {
        string[] memory urls = _list("https://a.example", "https://b.example");
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryUnknownProvider.selector, OUTSIDER));
        vm.prank(OUTSIDER);
        providers.setNodeEndpoints(urls);
        // the regulator (this contract) is never a provider and cannot publish for one
        vm.expectRevert(
            abi.encodeWithSelector(IProviderRegistry.ProviderRegistryUnknownProvider.selector, address(this))
        );
        providers.setNodeEndpoints(urls);
        providers.suspend(HOSPITAL);
        vm.expectRevert(
            abi.encodeWithSelector(
                IProviderRegistry.ProviderRegistryInvalidStatus.selector,
                HOSPITAL,
                IProviderRegistry.ProviderStatus.Suspended,
                IProviderRegistry.ProviderStatus.Active
            )
        );
        vm.prank(HOSPITAL);
        providers.setNodeEndpoints(urls);
    }

    function test_admit_appendsEachProviderOnce() public {
        assertEq(providers.providerCount(), 1, "count after one admission");
        providers.admit(LAB, IProviderRegistry.ProviderKind.Lab, "Lab", "");
        providers.suspend(LAB);
        providers.reinstate(LAB);
        providers.remove(HOSPITAL);
        assertEq(providers.providerCount(), 2, "status changes append nothing");
        assertEq(providers.providerAt(0), HOSPITAL, "first admitted");
        assertEq(providers.providerAt(1), LAB, "second admitted");
        vm.expectRevert(abi.encodeWithSelector(IProviderRegistry.ProviderRegistryIndexOutOfBounds.selector, 2, 2));
        providers.providerAt(2);
    }

    function testFuzz_admit_enumeratesInOrder(uint8 extra) public {
        uint256 n = bound(extra, 1, 24);
        for (uint256 i; i < n; ++i) {
            providers.admit(address(uint160(0x1000 + i)), IProviderRegistry.ProviderKind.Clinic, "Clinic", "");
        }
        assertEq(providers.providerCount(), n + 1, "count");
        for (uint256 i; i < n; ++i) {
            assertEq(providers.providerAt(i + 1), address(uint160(0x1000 + i)), "order of admission");
        }
    }

    function testFuzz_setNodeEndpoints_keepsWhatWasSent(uint8 count, uint16 length) public {
        uint256 n = bound(count, 0, 4);
        uint256 len = bound(length, 9, 256);
        string[] memory urls = new string[](n);
        for (uint256 i; i < n; ++i) {
            bytes memory url = new bytes(len);
            bytes memory prefix = "https://";
            for (uint256 j; j < len; ++j) url[j] = j < prefix.length ? prefix[j] : bytes1(uint8(97 + ((i + j) % 26)));
            urls[i] = string(url);
        }
        vm.prank(HOSPITAL);
        providers.setNodeEndpoints(urls);
        string[] memory read = providers.getNodeEndpoints(HOSPITAL);
        assertEq(read.length, n, "count");
        for (uint256 i; i < n; ++i) assertEq(keccak256(bytes(read[i])), keccak256(bytes(urls[i])), "endpoint");
    }
}
