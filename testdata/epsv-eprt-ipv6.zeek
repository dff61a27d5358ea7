#separator \x09
#set_separator	,
#empty_field	(empty)
#unset_field	-
#path	ftp
#open	2026-01-01-00-00-00
#fields	ts	uid	id.orig_h	id.orig_p	id.resp_h	id.resp_p	user	password	command	arg	mime_type	file_size	reply_code	reply_msg	data_channel.passive	data_channel.orig_h	data_channel.resp_h	data_channel.resp_p	fuid
#types	time	string	addr	port	addr	port	string	string	string	string	string	count	count	string	bool	addr	addr	port	string
1767225600.018366	C14tdWdYJoUnV31RsW	2001:db8::1	51000	2001:db8::2	21	anonymous	<hidden>	EPSV	-	-	-	229	Entering Extended Passive Mode (|||40002|)	T	2001:db8::1	2001:db8::2	40002	-
1767225600.027400	C14tdWdYJoUnV31RsW	2001:db8::1	51000	2001:db8::2	21	anonymous	<hidden>	EPRT	|2|2001:db8::1|50001|	-	-	200	EPRT command successful. Consider using EPSV.	F	2001:db8::2	2001:db8::1	50001	-
1767225600.030974	C14tdWdYJoUnV31RsW	2001:db8::1	51000	2001:db8::2	21	anonymous	<hidden>	RETR	ftp://[2001:db8::2]/./SHA256SUMS	-	1200	226	Transfer complete.	-	-	-	-	Fv6u4ECw2iiTRSMuI
#close	2026-01-01-00-00-00
