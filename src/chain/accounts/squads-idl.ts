/**
 * The Squads v4 program's Anchor IDL (program SQDS4ep65T869zMMBKyuUq6aD6EgTu8psMjkvj52pCf, as @sqds/multisig
 * 2.1.4 ships it in idl/squads_multisig_program.json): version, name, instruction names, accounts and types,
 * without docs and instruction arguments. src/chain/accounts/squads.ts builds its decoders from it
 * (src/chain/anchor-idl.ts), so deciding needs none of the SDK's code; test/chain/accounts/squads-idl.test.ts
 * holds this copy equal to the SDK's file, so an SDK upgrade that changes the program's layout fails a test.
 */
export const SQUADS_IDL = {
  "version": "2.1.0",
  "name": "squads_multisig_program",
  "instructions": [
    {
      "name": "programConfigInit"
    },
    {
      "name": "programConfigSetAuthority"
    },
    {
      "name": "programConfigSetMultisigCreationFee"
    },
    {
      "name": "programConfigSetTreasury"
    },
    {
      "name": "multisigCreate"
    },
    {
      "name": "multisigCreateV2"
    },
    {
      "name": "multisigAddMember"
    },
    {
      "name": "multisigRemoveMember"
    },
    {
      "name": "multisigSetTimeLock"
    },
    {
      "name": "multisigChangeThreshold"
    },
    {
      "name": "multisigSetConfigAuthority"
    },
    {
      "name": "multisigSetRentCollector"
    },
    {
      "name": "multisigAddSpendingLimit"
    },
    {
      "name": "multisigRemoveSpendingLimit"
    },
    {
      "name": "configTransactionCreate"
    },
    {
      "name": "configTransactionExecute"
    },
    {
      "name": "vaultTransactionCreate"
    },
    {
      "name": "transactionBufferCreate"
    },
    {
      "name": "transactionBufferClose"
    },
    {
      "name": "transactionBufferExtend"
    },
    {
      "name": "vaultTransactionCreateFromBuffer"
    },
    {
      "name": "vaultTransactionExecute"
    },
    {
      "name": "batchCreate"
    },
    {
      "name": "batchAddTransaction"
    },
    {
      "name": "batchExecuteTransaction"
    },
    {
      "name": "proposalCreate"
    },
    {
      "name": "proposalActivate"
    },
    {
      "name": "proposalApprove"
    },
    {
      "name": "proposalReject"
    },
    {
      "name": "proposalCancel"
    },
    {
      "name": "proposalCancelV2"
    },
    {
      "name": "spendingLimitUse"
    },
    {
      "name": "configTransactionAccountsClose"
    },
    {
      "name": "vaultTransactionAccountsClose"
    },
    {
      "name": "vaultBatchTransactionAccountClose"
    },
    {
      "name": "batchAccountsClose"
    }
  ],
  "accounts": [
    {
      "name": "Batch",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "multisig",
            "type": "publicKey"
          },
          {
            "name": "creator",
            "type": "publicKey"
          },
          {
            "name": "index",
            "type": "u64"
          },
          {
            "name": "bump",
            "type": "u8"
          },
          {
            "name": "vaultIndex",
            "type": "u8"
          },
          {
            "name": "vaultBump",
            "type": "u8"
          },
          {
            "name": "size",
            "type": "u32"
          },
          {
            "name": "executedTransactionIndex",
            "type": "u32"
          }
        ]
      }
    },
    {
      "name": "VaultBatchTransaction",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "bump",
            "type": "u8"
          },
          {
            "name": "ephemeralSignerBumps",
            "type": "bytes"
          },
          {
            "name": "message",
            "type": {
              "defined": "VaultTransactionMessage"
            }
          }
        ]
      }
    },
    {
      "name": "ConfigTransaction",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "multisig",
            "type": "publicKey"
          },
          {
            "name": "creator",
            "type": "publicKey"
          },
          {
            "name": "index",
            "type": "u64"
          },
          {
            "name": "bump",
            "type": "u8"
          },
          {
            "name": "actions",
            "type": {
              "vec": {
                "defined": "ConfigAction"
              }
            }
          }
        ]
      }
    },
    {
      "name": "Multisig",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "createKey",
            "type": "publicKey"
          },
          {
            "name": "configAuthority",
            "type": "publicKey"
          },
          {
            "name": "threshold",
            "type": "u16"
          },
          {
            "name": "timeLock",
            "type": "u32"
          },
          {
            "name": "transactionIndex",
            "type": "u64"
          },
          {
            "name": "staleTransactionIndex",
            "type": "u64"
          },
          {
            "name": "rentCollector",
            "type": {
              "option": "publicKey"
            }
          },
          {
            "name": "bump",
            "type": "u8"
          },
          {
            "name": "members",
            "type": {
              "vec": {
                "defined": "Member"
              }
            }
          }
        ]
      }
    },
    {
      "name": "ProgramConfig",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "authority",
            "type": "publicKey"
          },
          {
            "name": "multisigCreationFee",
            "type": "u64"
          },
          {
            "name": "treasury",
            "type": "publicKey"
          },
          {
            "name": "reserved",
            "type": {
              "array": [
                "u8",
                64
              ]
            }
          }
        ]
      }
    },
    {
      "name": "Proposal",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "multisig",
            "type": "publicKey"
          },
          {
            "name": "transactionIndex",
            "type": "u64"
          },
          {
            "name": "status",
            "type": {
              "defined": "ProposalStatus"
            }
          },
          {
            "name": "bump",
            "type": "u8"
          },
          {
            "name": "approved",
            "type": {
              "vec": "publicKey"
            }
          },
          {
            "name": "rejected",
            "type": {
              "vec": "publicKey"
            }
          },
          {
            "name": "cancelled",
            "type": {
              "vec": "publicKey"
            }
          }
        ]
      }
    },
    {
      "name": "SpendingLimit",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "multisig",
            "type": "publicKey"
          },
          {
            "name": "createKey",
            "type": "publicKey"
          },
          {
            "name": "vaultIndex",
            "type": "u8"
          },
          {
            "name": "mint",
            "type": "publicKey"
          },
          {
            "name": "amount",
            "type": "u64"
          },
          {
            "name": "period",
            "type": {
              "defined": "Period"
            }
          },
          {
            "name": "remainingAmount",
            "type": "u64"
          },
          {
            "name": "lastReset",
            "type": "i64"
          },
          {
            "name": "bump",
            "type": "u8"
          },
          {
            "name": "members",
            "type": {
              "vec": "publicKey"
            }
          },
          {
            "name": "destinations",
            "type": {
              "vec": "publicKey"
            }
          }
        ]
      }
    },
    {
      "name": "TransactionBuffer",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "multisig",
            "type": "publicKey"
          },
          {
            "name": "creator",
            "type": "publicKey"
          },
          {
            "name": "bufferIndex",
            "type": "u8"
          },
          {
            "name": "vaultIndex",
            "type": "u8"
          },
          {
            "name": "finalBufferHash",
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "finalBufferSize",
            "type": "u16"
          },
          {
            "name": "buffer",
            "type": "bytes"
          }
        ]
      }
    },
    {
      "name": "VaultTransaction",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "multisig",
            "type": "publicKey"
          },
          {
            "name": "creator",
            "type": "publicKey"
          },
          {
            "name": "index",
            "type": "u64"
          },
          {
            "name": "bump",
            "type": "u8"
          },
          {
            "name": "vaultIndex",
            "type": "u8"
          },
          {
            "name": "vaultBump",
            "type": "u8"
          },
          {
            "name": "ephemeralSignerBumps",
            "type": "bytes"
          },
          {
            "name": "message",
            "type": {
              "defined": "VaultTransactionMessage"
            }
          }
        ]
      }
    }
  ],
  "types": [
    {
      "name": "BatchAddTransactionArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "ephemeralSigners",
            "type": "u8"
          },
          {
            "name": "transactionMessage",
            "type": "bytes"
          }
        ]
      }
    },
    {
      "name": "BatchCreateArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "vaultIndex",
            "type": "u8"
          },
          {
            "name": "memo",
            "type": {
              "option": "string"
            }
          }
        ]
      }
    },
    {
      "name": "ConfigTransactionCreateArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "actions",
            "type": {
              "vec": {
                "defined": "ConfigAction"
              }
            }
          },
          {
            "name": "memo",
            "type": {
              "option": "string"
            }
          }
        ]
      }
    },
    {
      "name": "MultisigAddSpendingLimitArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "createKey",
            "type": "publicKey"
          },
          {
            "name": "vaultIndex",
            "type": "u8"
          },
          {
            "name": "mint",
            "type": "publicKey"
          },
          {
            "name": "amount",
            "type": "u64"
          },
          {
            "name": "period",
            "type": {
              "defined": "Period"
            }
          },
          {
            "name": "members",
            "type": {
              "vec": "publicKey"
            }
          },
          {
            "name": "destinations",
            "type": {
              "vec": "publicKey"
            }
          },
          {
            "name": "memo",
            "type": {
              "option": "string"
            }
          }
        ]
      }
    },
    {
      "name": "MultisigAddMemberArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "newMember",
            "type": {
              "defined": "Member"
            }
          },
          {
            "name": "memo",
            "type": {
              "option": "string"
            }
          }
        ]
      }
    },
    {
      "name": "MultisigRemoveMemberArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "oldMember",
            "type": "publicKey"
          },
          {
            "name": "memo",
            "type": {
              "option": "string"
            }
          }
        ]
      }
    },
    {
      "name": "MultisigChangeThresholdArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "newThreshold",
            "type": "u16"
          },
          {
            "name": "memo",
            "type": {
              "option": "string"
            }
          }
        ]
      }
    },
    {
      "name": "MultisigSetTimeLockArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "timeLock",
            "type": "u32"
          },
          {
            "name": "memo",
            "type": {
              "option": "string"
            }
          }
        ]
      }
    },
    {
      "name": "MultisigSetConfigAuthorityArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "configAuthority",
            "type": "publicKey"
          },
          {
            "name": "memo",
            "type": {
              "option": "string"
            }
          }
        ]
      }
    },
    {
      "name": "MultisigSetRentCollectorArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "rentCollector",
            "type": {
              "option": "publicKey"
            }
          },
          {
            "name": "memo",
            "type": {
              "option": "string"
            }
          }
        ]
      }
    },
    {
      "name": "MultisigCreateArgsV2",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "configAuthority",
            "type": {
              "option": "publicKey"
            }
          },
          {
            "name": "threshold",
            "type": "u16"
          },
          {
            "name": "members",
            "type": {
              "vec": {
                "defined": "Member"
              }
            }
          },
          {
            "name": "timeLock",
            "type": "u32"
          },
          {
            "name": "rentCollector",
            "type": {
              "option": "publicKey"
            }
          },
          {
            "name": "memo",
            "type": {
              "option": "string"
            }
          }
        ]
      }
    },
    {
      "name": "MultisigRemoveSpendingLimitArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "memo",
            "type": {
              "option": "string"
            }
          }
        ]
      }
    },
    {
      "name": "ProgramConfigInitArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "authority",
            "type": "publicKey"
          },
          {
            "name": "multisigCreationFee",
            "type": "u64"
          },
          {
            "name": "treasury",
            "type": "publicKey"
          }
        ]
      }
    },
    {
      "name": "ProgramConfigSetAuthorityArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "newAuthority",
            "type": "publicKey"
          }
        ]
      }
    },
    {
      "name": "ProgramConfigSetMultisigCreationFeeArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "newMultisigCreationFee",
            "type": "u64"
          }
        ]
      }
    },
    {
      "name": "ProgramConfigSetTreasuryArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "newTreasury",
            "type": "publicKey"
          }
        ]
      }
    },
    {
      "name": "ProposalCreateArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "transactionIndex",
            "type": "u64"
          },
          {
            "name": "draft",
            "type": "bool"
          }
        ]
      }
    },
    {
      "name": "ProposalVoteArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "memo",
            "type": {
              "option": "string"
            }
          }
        ]
      }
    },
    {
      "name": "SpendingLimitUseArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "amount",
            "type": "u64"
          },
          {
            "name": "decimals",
            "type": "u8"
          },
          {
            "name": "memo",
            "type": {
              "option": "string"
            }
          }
        ]
      }
    },
    {
      "name": "TransactionBufferCreateArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "bufferIndex",
            "type": "u8"
          },
          {
            "name": "vaultIndex",
            "type": "u8"
          },
          {
            "name": "finalBufferHash",
            "type": {
              "array": [
                "u8",
                32
              ]
            }
          },
          {
            "name": "finalBufferSize",
            "type": "u16"
          },
          {
            "name": "buffer",
            "type": "bytes"
          }
        ]
      }
    },
    {
      "name": "TransactionBufferExtendArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "buffer",
            "type": "bytes"
          }
        ]
      }
    },
    {
      "name": "VaultTransactionCreateArgs",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "vaultIndex",
            "type": "u8"
          },
          {
            "name": "ephemeralSigners",
            "type": "u8"
          },
          {
            "name": "transactionMessage",
            "type": "bytes"
          },
          {
            "name": "memo",
            "type": {
              "option": "string"
            }
          }
        ]
      }
    },
    {
      "name": "Member",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "key",
            "type": "publicKey"
          },
          {
            "name": "permissions",
            "type": {
              "defined": "Permissions"
            }
          }
        ]
      }
    },
    {
      "name": "Permissions",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "mask",
            "type": "u8"
          }
        ]
      }
    },
    {
      "name": "VaultTransactionMessage",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "numSigners",
            "type": "u8"
          },
          {
            "name": "numWritableSigners",
            "type": "u8"
          },
          {
            "name": "numWritableNonSigners",
            "type": "u8"
          },
          {
            "name": "accountKeys",
            "type": {
              "vec": "publicKey"
            }
          },
          {
            "name": "instructions",
            "type": {
              "vec": {
                "defined": "MultisigCompiledInstruction"
              }
            }
          },
          {
            "name": "addressTableLookups",
            "type": {
              "vec": {
                "defined": "MultisigMessageAddressTableLookup"
              }
            }
          }
        ]
      }
    },
    {
      "name": "MultisigCompiledInstruction",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "programIdIndex",
            "type": "u8"
          },
          {
            "name": "accountIndexes",
            "type": "bytes"
          },
          {
            "name": "data",
            "type": "bytes"
          }
        ]
      }
    },
    {
      "name": "MultisigMessageAddressTableLookup",
      "type": {
        "kind": "struct",
        "fields": [
          {
            "name": "accountKey",
            "type": "publicKey"
          },
          {
            "name": "writableIndexes",
            "type": "bytes"
          },
          {
            "name": "readonlyIndexes",
            "type": "bytes"
          }
        ]
      }
    },
    {
      "name": "Vote",
      "type": {
        "kind": "enum",
        "variants": [
          {
            "name": "Approve"
          },
          {
            "name": "Reject"
          },
          {
            "name": "Cancel"
          }
        ]
      }
    },
    {
      "name": "ConfigAction",
      "type": {
        "kind": "enum",
        "variants": [
          {
            "name": "AddMember",
            "fields": [
              {
                "name": "newMember",
                "type": {
                  "defined": "Member"
                }
              }
            ]
          },
          {
            "name": "RemoveMember",
            "fields": [
              {
                "name": "oldMember",
                "type": "publicKey"
              }
            ]
          },
          {
            "name": "ChangeThreshold",
            "fields": [
              {
                "name": "newThreshold",
                "type": "u16"
              }
            ]
          },
          {
            "name": "SetTimeLock",
            "fields": [
              {
                "name": "newTimeLock",
                "type": "u32"
              }
            ]
          },
          {
            "name": "AddSpendingLimit",
            "fields": [
              {
                "name": "createKey",
                "type": "publicKey"
              },
              {
                "name": "vaultIndex",
                "type": "u8"
              },
              {
                "name": "mint",
                "type": "publicKey"
              },
              {
                "name": "amount",
                "type": "u64"
              },
              {
                "name": "period",
                "type": {
                  "defined": "Period"
                }
              },
              {
                "name": "members",
                "type": {
                  "vec": "publicKey"
                }
              },
              {
                "name": "destinations",
                "type": {
                  "vec": "publicKey"
                }
              }
            ]
          },
          {
            "name": "RemoveSpendingLimit",
            "fields": [
              {
                "name": "spendingLimit",
                "type": "publicKey"
              }
            ]
          },
          {
            "name": "SetRentCollector",
            "fields": [
              {
                "name": "newRentCollector",
                "type": {
                  "option": "publicKey"
                }
              }
            ]
          }
        ]
      }
    },
    {
      "name": "ProposalStatus",
      "type": {
        "kind": "enum",
        "variants": [
          {
            "name": "Draft",
            "fields": [
              {
                "name": "timestamp",
                "type": "i64"
              }
            ]
          },
          {
            "name": "Active",
            "fields": [
              {
                "name": "timestamp",
                "type": "i64"
              }
            ]
          },
          {
            "name": "Rejected",
            "fields": [
              {
                "name": "timestamp",
                "type": "i64"
              }
            ]
          },
          {
            "name": "Approved",
            "fields": [
              {
                "name": "timestamp",
                "type": "i64"
              }
            ]
          },
          {
            "name": "Executing"
          },
          {
            "name": "Executed",
            "fields": [
              {
                "name": "timestamp",
                "type": "i64"
              }
            ]
          },
          {
            "name": "Cancelled",
            "fields": [
              {
                "name": "timestamp",
                "type": "i64"
              }
            ]
          }
        ]
      }
    },
    {
      "name": "Period",
      "type": {
        "kind": "enum",
        "variants": [
          {
            "name": "OneTime"
          },
          {
            "name": "Day"
          },
          {
            "name": "Week"
          },
          {
            "name": "Month"
          }
        ]
      }
    }
  ]
} as const;
