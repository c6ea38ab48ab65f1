"""KMS in the local AWS: each symmetric key encrypts with its own material (moto's RSA pair,
which a symmetric key does not have in KMS, is made once for all of them)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from shared.config import StageName, load_config
from shared.local.aws import LocalAws
from shared.naming import StageNaming


def test_symmetric_keys_round_trip_and_do_not_decrypt_each_other():
    with LocalAws(StageNaming.of(load_config(), StageName.DEV)) as aws:
        kms = aws.client("kms")
        first, second = (kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(2))
        blob = kms.encrypt(KeyId=first, Plaintext=b"row")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"row"
        with pytest.raises(ClientError):
            kms.decrypt(CiphertextBlob=blob, KeyId=second)
        signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
        public = kms.get_public_key(KeyId=signing["KeyId"])["PublicKey"]
        other = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
        assert kms.get_public_key(KeyId=other["KeyId"])["PublicKey"] != public
