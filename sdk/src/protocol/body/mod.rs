//! JSON bodies (Java `RemotingSerializable` subclasses), compatible with fastjson.
