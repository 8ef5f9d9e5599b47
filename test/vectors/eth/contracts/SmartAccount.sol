// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// A minimal smart account for Signet's EIP-1271 tests: one owner key, and
/// `isValidSignature` answers the EIP-1271 magic value 0x1626ba7e only when a 65-byte
/// (r, s, v) signature over `hash` recovers to the owner (low-s enforced, as OpenZeppelin's ECDSA).
contract SmartAccount {
    address public owner;

    constructor(address owner_) {
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 65) return 0xffffffff;
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (uint256(s) > 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0) return 0xffffffff;
        if (v < 27) v += 27;
        address signer = ecrecover(hash, v, r, s);
        if (signer == address(0) || signer != owner) return 0xffffffff;
        return 0x1626ba7e;
    }
}

/// Deploys SmartAccounts at CREATE2 addresses known before deployment (counterfactual
/// wallets, EIP-6492).
contract SmartAccountFactory {
    function deploy(address owner_, bytes32 salt) external returns (address) {
        return address(new SmartAccount{salt: salt}(owner_));
    }

    function addressOf(address owner_, bytes32 salt) external view returns (address) {
        bytes32 h = keccak256(
            abi.encodePacked(
                bytes1(0xff),
                address(this),
                salt,
                keccak256(abi.encodePacked(type(SmartAccount).creationCode, abi.encode(owner_)))
            )
        );
        return address(uint160(uint256(h)));
    }
}
