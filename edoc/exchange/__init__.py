"""Electronic exchange of documents between agencies: edXML (QCVN 102:2016/BTTTT) messages, transports."""
