# SPDX-License-Identifier: ISC
# bash completion for capjail(1): options, bridges from `capjail --check`,
# jail names from the first column of `capjail --list` (when the launcher
# has it; nothing otherwise), files and commands elsewhere.

_capjail_bridges()
{
	capjail --check 2>/dev/null |
	    sed -n 's/^bridge \([^:]*\):.*/\1/p'
}

_capjail_names()
{
	local out
	out=$(capjail --list 2>/dev/null) || return 0
	printf '%s\n' "$out" | awk 'NR == 1 && $1 == "NAME" { next } { print $1 }'
}

_capjail()
{
	local cur prev words cword i
	_init_completion -s || return

	# After the command, complete for the command.
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--) _command_offset $((i + 1)); return ;;
		--uid|--gid|--root|--bind|--ro-bind|--tmpfs|--chdir|\
		--hostname|--net|--ip|--ifname|-p|--publish|--name)
			((i++)) ;;
		-*) ;;
		*) _command_offset "$i"; return ;;
		esac
	done

	case $prev in
	--net)
		COMPREPLY=($(compgen -W "none $(_capjail_bridges)" -- "$cur"))
		return ;;
	--name)
		COMPREPLY=($(compgen -W "$(_capjail_names)" -- "$cur"))
		return ;;
	--root|--chdir|--tmpfs)
		_filedir -d
		return ;;
	--bind|--ro-bind|--check-config)
		_filedir
		return ;;
	--uid|--gid|--hostname|--ip|--ifname|-p|--publish)
		return ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '$(_parse_help capjail --help)' -- "$cur"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
		return
	fi
	_filedir -d
	COMPREPLY+=($(compgen -c -- "$cur"))
}
complete -F _capjail capjail
