/**
 * The Windows x64 layout of the WFP structures the policy calls take and the SA lookups return
 * (`fwpmtypes.h`, `fwptypes.h`, `iketypes.h`, `ipsectypes.h`), and the constants written into or
 * read from them. The encoders write and the decoders read at these offsets; the ABI test compares
 * every size, alignment and offset with the mingw-w64 headers. Anonymous unions are listed under
 * the member the code uses (`authipQmTransportPolicy`, `kerberosAuthentication`, …), which C's
 * `offsetof` accepts as well.
 * @module
 */
import type { StructLayout } from '../abi/layout.js';

/** Every WFP structure by its C name. */
export const WFP_STRUCT_LAYOUTS = {
  FWP_BYTE_BLOB: { size: 16, align: 8, offsets: { size: 0, data: 8 } },
  FWPM_DISPLAY_DATA0: { size: 16, align: 8, offsets: { name: 0, description: 8 } },
  FWPM_SESSION0: {
    size: 72,
    align: 8,
    offsets: {
      sessionKey: 0,
      displayData: 16,
      flags: 32,
      txnWaitTimeoutInMSec: 36,
      processId: 40,
      sid: 48,
      username: 56,
      kernelMode: 64,
    },
  },
  FWPM_PROVIDER_CONTEXT0: {
    size: 88,
    align: 8,
    offsets: {
      providerContextKey: 0,
      displayData: 16,
      flags: 32,
      providerKey: 40,
      providerData: 48,
      type: 64,
      authipQmTransportPolicy: 72,
      authIpMmPolicy: 72,
      providerContextId: 80,
    },
  },
  IKEEXT_CIPHER_ALGORITHM0: { size: 12, align: 4, offsets: { algoIdentifier: 0, keyLen: 4, rounds: 8 } },
  IKEEXT_INTEGRITY_ALGORITHM0: { size: 4, align: 4, offsets: { algoIdentifier: 0 } },
  IKEEXT_PROPOSAL0: {
    size: 28,
    align: 4,
    offsets: {
      cipherAlgorithm: 0,
      integrityAlgorithm: 12,
      maxLifetimeSeconds: 16,
      dhGroup: 20,
      quickModeLimit: 24,
    },
  },
  IKEEXT_AUTHENTICATION_METHOD0: {
    size: 64,
    align: 8,
    offsets: { authenticationMethodType: 0, kerberosAuthentication: 8 },
  },
  IKEEXT_POLICY0: {
    size: 40,
    align: 8,
    offsets: {
      softExpirationTime: 0,
      numAuthenticationMethods: 4,
      authenticationMethods: 8,
      initiatorImpersonationType: 16,
      numIkeProposals: 20,
      ikeProposals: 24,
      flags: 32,
      maxDynamicFilters: 36,
    },
  },
  IPSEC_SA_LIFETIME0: {
    size: 12,
    align: 4,
    offsets: { lifetimeSeconds: 0, lifetimeKilobytes: 4, lifetimePackets: 8 },
  },
  IPSEC_SA_IDLE_TIMEOUT0: {
    size: 8,
    align: 4,
    offsets: { idleTimeoutSeconds: 0, idleTimeoutSecondsFailOver: 4 },
  },
  IPSEC_AUTH_TRANSFORM_ID0: { size: 8, align: 4, offsets: { authType: 0, authConfig: 4 } },
  IPSEC_AUTH_TRANSFORM0: { size: 16, align: 8, offsets: { authTransformId: 0, cryptoModuleId: 8 } },
  IPSEC_CIPHER_TRANSFORM_ID0: { size: 8, align: 4, offsets: { cipherType: 0, cipherConfig: 4 } },
  IPSEC_CIPHER_TRANSFORM0: { size: 16, align: 8, offsets: { cipherTransformId: 0, cryptoModuleId: 8 } },
  IPSEC_AUTH_AND_CIPHER_TRANSFORM0: {
    size: 32,
    align: 8,
    offsets: { authTransform: 0, cipherTransform: 16 },
  },
  IPSEC_SA_TRANSFORM0: {
    size: 16,
    align: 8,
    offsets: { ipsecTransformType: 0, espAuthTransform: 8, espAuthAndCipherTransform: 8 },
  },
  IPSEC_PROPOSAL0: {
    size: 32,
    align: 8,
    offsets: { lifetime: 0, numSaTransforms: 12, saTransforms: 16, pfsGroup: 24 },
  },
  IPSEC_TRANSPORT_POLICY0: {
    size: 40,
    align: 8,
    offsets: {
      numIpsecProposals: 0,
      ipsecProposals: 8,
      flags: 16,
      ndAllowClearTimeoutSeconds: 20,
      saIdleTimeout: 24,
      emPolicy: 32,
    },
  },
  IKEEXT_TRAFFIC0: {
    size: 48,
    align: 8,
    offsets: {
      ipVersion: 0,
      localV4Address: 4,
      localV6Address: 4,
      remoteV4Address: 20,
      remoteV6Address: 20,
      authIpFilterId: 40,
    },
  },
  IKEEXT_COOKIE_PAIR0: { size: 16, align: 8, offsets: { initiator: 0, responder: 8 } },
  IKEEXT_CREDENTIALS0: { size: 16, align: 8, offsets: { numCredentials: 0, credentials: 8 } },
  IKEEXT_SA_DETAILS0: {
    size: 160,
    align: 8,
    offsets: {
      saId: 0,
      keyModuleType: 8,
      ipVersion: 12,
      v4UdpEncapsulation: 16,
      ikeTraffic: 24,
      ikeProposal: 72,
      cookiePair: 104,
      ikeCredentials: 120,
      ikePolicyKey: 136,
      virtualIfTunnelId: 152,
    },
  },
  // The quick-mode SA side (IPsecSaContextEnum0 / IPsecSaContextGetById0): what WFP returns.
  FWP_CONDITION_VALUE0: { size: 16, align: 8, offsets: { type: 0, uint32: 8, byteArray16: 8 } },
  IPSEC_SA_CONTEXT_ENUM_TEMPLATE0: { size: 32, align: 8, offsets: { localSubNet: 0, remoteSubNet: 16 } },
  IPSEC_TRAFFIC0: {
    size: 56,
    align: 8,
    offsets: {
      ipVersion: 0,
      localV4Address: 4,
      localV6Address: 4,
      remoteV4Address: 20,
      remoteV6Address: 20,
      trafficType: 36,
      ipsecFilterId: 40,
      tunnelPolicyId: 40,
      remotePort: 48,
    },
  },
  IPSEC_SA_AUTH_INFORMATION0: { size: 32, align: 8, offsets: { authTransform: 0, authKey: 16 } },
  IPSEC_SA_CIPHER_INFORMATION0: { size: 32, align: 8, offsets: { cipherTransform: 0, cipherKey: 16 } },
  // Cipher first, then auth: the reverse of IPSEC_AUTH_AND_CIPHER_TRANSFORM0.
  IPSEC_SA_AUTH_AND_CIPHER_INFORMATION0: {
    size: 64,
    align: 8,
    offsets: { saCipherInformation: 0, saAuthInformation: 32 },
  },
  IPSEC_SA0: {
    size: 16,
    align: 8,
    offsets: {
      spi: 0,
      saTransformType: 4,
      ahInformation: 8,
      espAuthInformation: 8,
      espCipherInformation: 8,
      espAuthAndCipherInformation: 8,
      espAuthFwInformation: 8,
    },
  },
  IPSEC_SA_BUNDLE0: {
    size: 88,
    align: 8,
    offsets: {
      flags: 0,
      lifetime: 4,
      idleTimeoutSeconds: 16,
      ndAllowClearTimeoutSeconds: 20,
      ipsecId: 24,
      napContext: 32,
      qmSaId: 36,
      numSAs: 40,
      saList: 48,
      keyModuleState: 56,
      ipVersion: 64,
      peerV4PrivateAddress: 68,
      mmSaId: 72,
      pfsGroup: 80,
    },
  },
  IPSEC_SA_DETAILS0: {
    size: 168,
    align: 8,
    offsets: {
      ipVersion: 0,
      saDirection: 4,
      traffic: 8,
      saBundle: 64,
      udpEncapsulation: 152,
      transportFilter: 160,
    },
  },
  IPSEC_SA_CONTEXT0: { size: 24, align: 8, offsets: { saContextId: 0, inboundSa: 8, outboundSa: 16 } },
} as const satisfies Record<string, StructLayout>;

/** A structure name of {@link WFP_STRUCT_LAYOUTS}. */
export type WfpStructName = keyof typeof WFP_STRUCT_LAYOUTS;

/**
 * The WFP, IKEEXT and IPsec constants the encoders and calls use, under their C names with their
 * Windows values (checked against the headers; the few mingw-w64 lacks against the SDK's values).
 */
export const WFP_CONSTANTS = {
  // FWPM_PROVIDER_CONTEXT_TYPE
  FWPM_IPSEC_AUTHIP_QM_TRANSPORT_CONTEXT: 3,
  FWPM_IPSEC_AUTHIP_MM_CONTEXT: 6,
  // FWPM_SESSION0.flags (SDK value; mingw-w64 lacks it)
  FWPM_SESSION_FLAG_DYNAMIC: 0x1,
  // FwpmEngineOpen0 authnService
  RPC_C_AUTHN_WINNT: 10,
  // IKEEXT_KEY_MODULE_TYPE, FWP_IP_VERSION
  IKEEXT_KEY_MODULE_IKE: 0,
  IKEEXT_KEY_MODULE_AUTHIP: 1,
  IKEEXT_KEY_MODULE_IKEV2: 2,
  FWP_IP_VERSION_V4: 0,
  FWP_IP_VERSION_V6: 1,
  // IKEEXT_AUTHENTICATION_METHOD_TYPE
  IKEEXT_KERBEROS: 2,
  // IKEEXT_AUTHENTICATION_IMPERSONATION_TYPE
  IKEEXT_IMPERSONATION_NONE: 0,
  IKEEXT_IMPERSONATION_SOCKET_PRINCIPAL: 1,
  // IKEEXT_CIPHER_TYPE, IKEEXT_INTEGRITY_TYPE, IKEEXT_DH_GROUP
  IKEEXT_CIPHER_AES_256: 4,
  IKEEXT_INTEGRITY_SHA_256: 2,
  IKEEXT_DH_ECP_256: 4,
  // IPSEC_TRANSFORM_TYPE
  IPSEC_TRANSFORM_AH: 1,
  IPSEC_TRANSFORM_ESP_AUTH: 2,
  IPSEC_TRANSFORM_ESP_CIPHER: 3,
  IPSEC_TRANSFORM_ESP_AUTH_AND_CIPHER: 4,
  IPSEC_TRANSFORM_ESP_AUTH_FW: 5,
  // IPSEC_AUTH_TYPE, IPSEC_CIPHER_TYPE, IPSEC_PFS_GROUP
  IPSEC_AUTH_AES_256: 5,
  IPSEC_CIPHER_TYPE_AES_256: 5,
  IPSEC_PFS_NONE: 0,
  // FWP_DIRECTION, IPSEC_TRAFFIC_TYPE, FWP_DATA_TYPE (of an enum template's FWP_CONDITION_VALUE0)
  FWP_DIRECTION_OUTBOUND: 0,
  FWP_DIRECTION_INBOUND: 1,
  IPSEC_TRAFFIC_TYPE_TRANSPORT: 0,
  IPSEC_TRAFFIC_TYPE_TUNNEL: 1,
  FWP_EMPTY: 0,
  FWP_UINT32: 3,
  FWP_BYTE_ARRAY16_TYPE: 11,
  // IPSEC_AUTH_CONFIG, IPSEC_CIPHER_CONFIG (SDK #defines; mingw-w64 lacks them)
  IPSEC_AUTH_CONFIG_GCM_AES_256: 5,
  IPSEC_CIPHER_CONFIG_GCM_AES_256: 8,
  // IPSEC_TRANSPORT_POLICY0.flags (SDK #define; mingw-w64 lacks it)
  IPSEC_POLICY_FLAG_ND_BOUNDARY: 0x4,
} as const;

/** The constants mingw-w64 does not define, checked against values transcribed from the SDK. */
export const WFP_SDK_ONLY_CONSTANTS: readonly (keyof typeof WFP_CONSTANTS)[] = [
  'FWPM_SESSION_FLAG_DYNAMIC',
  'IPSEC_AUTH_CONFIG_GCM_AES_256',
  'IPSEC_CIPHER_CONFIG_GCM_AES_256',
  'IPSEC_POLICY_FLAG_ND_BOUNDARY',
];
