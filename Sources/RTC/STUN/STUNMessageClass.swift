/// The class of a STUN message, two bits (C1 C0) spread through the message type field.
public enum STUNMessageClass: UInt8, Sendable, Hashable, CaseIterable {
    case request = 0b00
    case indication = 0b01
    case successResponse = 0b10
    case errorResponse = 0b11

    public var isResponse: Bool { self == .successResponse || self == .errorResponse }
}
